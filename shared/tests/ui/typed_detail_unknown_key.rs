use eventbridge_lambda::TypedDetail;

#[derive(serde::Deserialize, TypedDetail)]
#[detail(source = "com.ecommerce.payments", detail = "RefundIssued")]
struct RefundIssued {
    order_id: String,
}

fn main() {}
