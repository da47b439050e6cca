use eventbridge_lambda::TypedDetail;

#[derive(serde::Deserialize, TypedDetail)]
struct RefundIssued {
    order_id: String,
}

fn main() {}
