//! The checkout binary: the Lambda `bootstrap` of every activity (chosen by `_HANDLER`) and,
//! outside Lambda, the command line of the workflow (`run`, `synth`, `invoke`, …).

stepcraft::main!(
    ::checkout::checkout,
    ::checkout::reserve_inventory,
    ::checkout::charge_payment,
    ::checkout::release_inventory,
    ::checkout::pack_item,
    ::checkout::ship_order,
    ::checkout::send_receipt,
);
