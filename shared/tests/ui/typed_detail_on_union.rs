use eventbridge_lambda::TypedDetail;

#[derive(TypedDetail)]
#[detail(source = "com.ecommerce.payments", detail_type = "RefundIssued")]
union Amount {
    cents: u64,
    units: f64,
}

fn main() {}
