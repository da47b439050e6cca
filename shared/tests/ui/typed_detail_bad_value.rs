use eventbridge_lambda::TypedDetail;

#[derive(serde::Deserialize, TypedDetail)]
#[detail(source = "", detail_type = "RefundIssued")]
struct EmptySource {
    order_id: String,
}

#[derive(serde::Deserialize, TypedDetail)]
#[detail(source = com.ecommerce.payments, detail_type = "RefundIssued")]
struct NotAString {
    order_id: String,
}

fn main() {}
