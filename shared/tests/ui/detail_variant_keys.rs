use eventbridge_lambda::Detail;

#[derive(serde::Deserialize)]
struct Refund {
    order_id: String,
}

#[derive(Detail)]
enum NoSource {
    #[detail(detail_type = "RefundIssued")]
    Issued(Refund),
}

#[derive(Detail)]
#[detail(source = "com.ecommerce.payments")]
enum SameTypeTwice {
    #[detail(detail_type = "RefundIssued")]
    Issued(Refund),
    #[detail(detail_type = "RefundIssued")]
    IssuedAgain(Refund),
}

#[derive(Detail)]
#[detail(source = "com.ecommerce.payments", detail_type = "RefundIssued")]
enum TypeOnEnum {
    #[detail(detail_type = "RefundIssued")]
    Issued(Refund),
}

#[derive(Detail)]
#[detail(source = "com.ecommerce.payments")]
enum UnusedEnumSource {
    #[detail(source = "com.ecommerce.refunds", detail_type = "RefundIssued")]
    Issued(Refund),
}

fn main() {}
