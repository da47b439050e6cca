//! `decode_event` of arbitrary bytes, for every shipped detail type and the raw envelope, against
//! the plain serde_json decoding: the same event, or an error in both.
#![no_main]

use eventbridge_lambda::{CleanRoomsEvent, InstanceStateChange, OrderCreated};
use eventbridge_lambda_fuzz::check_direct;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    check_direct::<OrderCreated>(payload);
    check_direct::<InstanceStateChange>(payload);
    check_direct::<CleanRoomsEvent>(payload);
    check_direct::<serde_json::Value>(payload);
});
