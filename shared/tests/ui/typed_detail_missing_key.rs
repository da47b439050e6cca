use eventbridge_lambda::TypedDetail;

#[derive(serde::Deserialize, TypedDetail)]
#[detail(source = "com.ecommerce.payments")]
struct RefundIssued {
    order_id: String,
}

fn main() {}
