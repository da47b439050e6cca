use eventbridge_lambda::TypedDetail;

#[derive(TypedDetail)]
#[detail(source = "com.ecommerce.payments", detail_type = "RefundIssued")]
struct RefundIssued {
    order_id: String,
}

fn main() {}
