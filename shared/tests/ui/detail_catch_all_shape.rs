use eventbridge_lambda::{Detail, OrderCreated};

#[derive(Detail)]
enum UnitCatchAll {
    Order(OrderCreated),
    #[detail(other)]
    Unknown,
}

#[derive(Detail)]
enum WrongFieldName {
    Order(OrderCreated),
    #[detail(other)]
    Unknown { kind: String, detail: serde_json::Value },
}

#[derive(Detail)]
enum NoDetailField {
    Order(OrderCreated),
    #[detail(other)]
    Unknown { detail_type: String },
}

#[derive(Detail)]
enum CatchAllWithSource {
    Order(OrderCreated),
    #[detail(other, source = "aws.ec2")]
    Unknown(serde_json::Value),
}

fn main() {}
