use eventbridge_lambda::Detail;

#[derive(serde::Deserialize, Detail)]
struct RefundIssued {
    order_id: String,
}

fn main() {}
