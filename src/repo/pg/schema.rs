// @generated automatically by Diesel CLI.

diesel::table! {
    outbox (seq) {
        seq -> Int8,
        event_id -> Uuid,
        occurred_at -> Timestamptz,
        payload -> Jsonb,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
    }
}
