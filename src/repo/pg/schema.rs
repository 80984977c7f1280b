// @generated automatically by Diesel CLI.

diesel::table! {
    categories (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (seq) {
        seq -> Int8,
        event_id -> Uuid,
        occurred_at -> Timestamptz,
        payload -> Jsonb,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamptz>,
        chain_seq -> Nullable<Int8>,
        prev_hash -> Nullable<Bytea>,
        content_hash -> Nullable<Bytea>,
        hash -> Nullable<Bytea>,
    }
}

diesel::table! {
    audit_chain_head (singleton) {
        singleton -> Bool,
        seq -> Int8,
        hash -> Bytea,
        started_at -> Timestamptz,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> Int8,
        hash -> Bytea,
        created_at -> Timestamptz,
        key_id -> Text,
        signature -> Bytea,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_export_links (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        format -> Text,
        actor_id -> Nullable<Uuid>,
        action -> Nullable<Text>,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        outcome -> Nullable<Text>,
        from_at -> Nullable<Timestamptz>,
        to_at -> Nullable<Timestamptz>,
        export_limit -> Nullable<Int8>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    permissions (name) {
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    product_counts (category_id) {
        category_id -> Uuid,
        live -> Int8,
    }
}

diesel::table! {
    products (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        sku -> Text,
        price -> Numeric,
        stock_quantity -> Int8,
        category_id -> Nullable<Uuid>,
        is_active -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        supplier_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    rate_limits (name, key) {
        name -> Text,
        key -> Text,
        tat -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    role_permissions (role_id, permission) {
        role_id -> Uuid,
        permission -> Text,
    }
}

diesel::table! {
    roles (id) {
        id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        is_builtin -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    suppliers (id) {
        id -> Uuid,
        name -> Text,
        contact_email -> Nullable<Text>,
        phone -> Nullable<Text>,
        notes -> Nullable<Text>,
        is_active -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> Uuid,
        role_id -> Uuid,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        full_name -> Text,
        password_hash -> Text,
        is_active -> Bool,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(product_counts -> categories (category_id));
diesel::joinable!(products -> categories (category_id));
diesel::joinable!(audit_export_links -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(role_permissions -> permissions (permission));
diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(user_roles -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    categories,
    audit_chain_head,
    audit_checkpoints,
    audit_export_links,
    outbox,
    permissions,
    product_counts,
    products,
    rate_limits,
    refresh_tokens,
    role_permissions,
    roles,
    suppliers,
    user_roles,
    users,
);

// A view (diesel_migrations/*_users_with_access_view), declared by hand: print-schema
// leaves views out.
diesel::table! {
    users_with_access (id) {
        id -> Uuid,
        email -> Text,
        full_name -> Text,
        is_active -> Bool,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        roles -> Array<Text>,
        permissions -> Array<Text>,
        sessions -> Array<Uuid>,
    }
}
