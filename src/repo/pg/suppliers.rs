//! Suppliers: the filtered list, and the statements of their changes (soft deletion
//! included).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{products, suppliers};
use super::user_admin::contains_pattern;
use super::{DbError, PgPool};
pub use crate::domain::catalog::SupplierRecord;
use crate::domain::page::{PageRequest, Paged};

columns! {
    /// The columns of [`SupplierRecord`].
    const SUPPLIER_COLUMNS = suppliers(
        id,
        name,
        contact_email,
        phone,
        notes,
        is_active,
        version,
        created_at,
        updated_at,
    );
}

#[derive(Insertable)]
#[diesel(table_name = suppliers)]
pub struct NewSupplier {
    pub id: Uuid,
    pub name: String,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
}

/// Column changes; `Some(None)` clears a field.
#[derive(Debug, Default, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = suppliers)]
pub struct SupplierChanges {
    pub name: Option<String>,
    pub contact_email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub notes: Option<Option<String>>,
}

/// Which suppliers a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierFilter {
    /// A literal, case-insensitive substring of the name.
    pub q: Option<String>,
    /// Live suppliers, or the deleted ones.
    pub live: bool,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgSupplierRepo;

row_statements! {
    PgSupplierRepo for suppliers ("supplier"), live rows {
        record: SupplierRecord = SUPPLIER_COLUMNS,
        new: NewSupplier,
        changes: SupplierChanges,
    }
}

impl PgSupplierRepo {
    /// A page of the suppliers `filter` admits, by name, and how many it admits.
    pub async fn list(
        &self,
        pool: &PgPool,
        filter: &SupplierFilter,
        page: PageRequest,
    ) -> Result<Paged<SupplierRecord>, DbError> {
        let matching = || {
            let mut query = suppliers::table
                .filter(suppliers::is_active.eq(filter.live))
                .into_boxed();
            if let Some(q) = &filter.q {
                query = query.filter(suppliers::name.ilike(contains_pattern(q)));
            }
            query
        };
        let mut conn = pool.get().await?;
        let items = matching()
            .order((suppliers::name.asc(), suppliers::id.asc()))
            .offset(page.skip)
            .limit(page.limit)
            .select(SUPPLIER_COLUMNS)
            .load(&mut conn)
            .await?;
        let total = matching().count().get_result(&mut conn).await?;
        Ok(Paged { items, total })
    }

    /// Whether the supplier is live, holding a key-share lock on it until the transaction
    /// ends: a delete of the supplier (which locks it for update first) waits for this
    /// transaction, and this waits for a delete under way and then sees it deleted.
    pub async fn share_live(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<bool, DbError> {
        let live: Option<Uuid> = suppliers::table
            .find(id)
            .filter(suppliers::is_active)
            .select(suppliers::id)
            .for_key_share()
            .first(conn)
            .await
            .optional()?;
        Ok(live.is_some())
    }

    /// Whether a live product names the supplier.
    pub async fn in_use(&self, conn: &mut AsyncPgConnection, id: Uuid) -> Result<bool, DbError> {
        Ok(diesel::select(diesel::dsl::exists(
            products::table
                .filter(products::supplier_id.eq(id))
                .filter(products::is_active),
        ))
        .get_result(conn)
        .await?)
    }
}
