//! The statements on a resource's rows that every resource shares, declared once.

/// Implements, for a repository over one table, the statements every resource's rows share:
/// `find` (by id) and `names` (of those of some ids that are there), from the pool; `insert`
/// (returning the row), `lock` (by id, `FOR UPDATE` until the unit of work ends) and `update`
/// (the changes, a new `updated_at`), each in the unit of work's connection. Rows are `live` (soft-deleted: the statements see only rows with
/// `is_active`, each write takes a new `version`, and `soft_delete` is added) or `plain`.
/// What is particular to a resource stays written out in its repository.
macro_rules! row_statements {
    (
        $repo:ident for $table:ident ($what:literal), $rows:ident rows {
            record: $record:ty = $columns:expr,
            new: $new:ty,
            changes: $changes:ty $(,)?
        }
    ) => {
        impl $repo {
            /// The row with this id (if live); else [`DbError::Missing`] naming the resource.
            pub async fn find(
                &self,
                pool: &$crate::repo::pg::PgPool,
                id: ::uuid::Uuid,
            ) -> Result<$record, $crate::repo::pg::DbError> {
                let mut conn = pool.get().await?;
                row_statements!(@rows $rows $table, $table::table.find(id))
                    .select($columns)
                    .first(&mut conn)
                    .await
                    .optional()?
                    .ok_or($crate::repo::pg::DbError::Missing($what))
            }

            /// The names of those of `ids` that are (live) rows.
            pub async fn names(
                &self,
                pool: &$crate::repo::pg::PgPool,
                ids: &[::uuid::Uuid],
            ) -> Result<Vec<(::uuid::Uuid, String)>, $crate::repo::pg::DbError> {
                let mut conn = pool.get().await?;
                Ok(row_statements!(@rows $rows $table, $table::table.filter($table::id.eq_any(ids)))
                    .select(($table::id, $table::name))
                    .load(&mut conn)
                    .await?)
            }

            /// Inserts the row. A unique or foreign key it breaks fails by its constraint's
            /// name, which the services' one table answers.
            pub async fn insert(
                &self,
                conn: &mut ::diesel_async::AsyncPgConnection,
                row: &$new,
            ) -> Result<$record, $crate::repo::pg::DbError> {
                Ok(::diesel::insert_into($table::table)
                    .values(row)
                    .returning($columns)
                    .get_result(conn)
                    .await?)
            }

            /// The row (if live), locked until the unit of work ends.
            pub async fn lock(
                &self,
                conn: &mut ::diesel_async::AsyncPgConnection,
                id: ::uuid::Uuid,
            ) -> Result<$record, $crate::repo::pg::DbError> {
                row_statements!(@rows $rows $table, $table::table.find(id))
                    .select($columns)
                    .for_update()
                    .first(conn)
                    .await
                    .optional()?
                    .ok_or($crate::repo::pg::DbError::Missing($what))
            }

            /// Applies the changes (with a new version, for live rows).
            pub async fn update(
                &self,
                conn: &mut ::diesel_async::AsyncPgConnection,
                id: ::uuid::Uuid,
                changes: &$changes,
            ) -> Result<$record, $crate::repo::pg::DbError> {
                Ok(::diesel::update($table::table.find(id))
                    .set(row_statements!(@changes $rows $table, changes))
                    .returning($columns)
                    .get_result(conn)
                    .await?)
            }
        }

        row_statements!(@soft_delete $rows $repo $table ($what), $record = $columns);
    };

    (@rows live $table:ident, $query:expr) => { $query.filter($table::is_active) };
    (@rows plain $table:ident, $query:expr) => { $query };

    (@changes live $table:ident, $changes:expr) => {
        (
            $changes,
            $table::version.eq($table::version + 1),
            $table::updated_at.eq(::diesel::dsl::now),
        )
    };
    (@changes plain $table:ident, $changes:expr) => {
        ($changes, $table::updated_at.eq(::diesel::dsl::now))
    };

    (@soft_delete live $repo:ident $table:ident ($what:literal), $record:ty = $columns:expr) => {
        impl $repo {
            /// Marks the live row deleted, with a new version.
            pub async fn soft_delete(
                &self,
                conn: &mut ::diesel_async::AsyncPgConnection,
                id: ::uuid::Uuid,
            ) -> Result<$record, $crate::repo::pg::DbError> {
                ::diesel::update($table::table.find(id).filter($table::is_active))
                    .set((
                        $table::is_active.eq(false),
                        $table::deleted_at.eq(::diesel::dsl::now),
                        $table::version.eq($table::version + 1),
                        $table::updated_at.eq(::diesel::dsl::now),
                    ))
                    .returning($columns)
                    .get_result(conn)
                    .await
                    .optional()?
                    .ok_or($crate::repo::pg::DbError::Missing($what))
            }
        }
    };
    (@soft_delete plain $repo:ident $table:ident ($what:literal), $record:ty = $columns:expr) => {};
}
