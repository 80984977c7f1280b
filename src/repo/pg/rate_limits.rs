//! Rate-limit state shared by every instance: one GCRA "theoretical arrival time" per
//! (limit, key) in the `rate_limits` table, read and written in single statements so
//! concurrent requests on any number of instances are serialised by the row lock.

use std::time::Duration;

use diesel::data_types::PgInterval;
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Bool, Interval, Nullable, Text};
use diesel_async::RunQueryDsl;

use super::{DbError, PgPool};

/// A budget of `burst` requests refilled one per `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Time one request costs (the period divided by the count).
    pub interval: Duration,
    /// How far ahead of now the arrival time may run and a request still pass
    /// (the period minus one interval: a burst of the whole count).
    pub tolerance: Duration,
}

/// What a key's budget allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over budget; the next request passes after `retry_after` (as PostgreSQL's clock saw
    /// it a moment ago: advice, not a promise).
    Limited {
        retry_after: Duration,
    },
}

#[derive(diesel::QueryableByName)]
struct Answer {
    #[diesel(sql_type = Bool)]
    allowed: bool,
    /// How far the arrival time runs past the tolerance, in microseconds, as read at the
    /// start of the statement (null when the key had no row then).
    #[diesel(sql_type = Nullable<BigInt>)]
    excess_us: Option<i64>,
}

/// Takes one request's worth if the budget holds it. A refused request costs nothing, so
/// a client that keeps knocking does not push its own retry further away.
const TAKE: &str = "\
WITH taken AS (
    INSERT INTO rate_limits AS r (name, key, tat) VALUES ($1, $2, now() + $3)
    ON CONFLICT (name, key) DO UPDATE SET tat = greatest(r.tat, now()) + $3
        WHERE r.tat <= now() + $4
    RETURNING 1
)
SELECT EXISTS (SELECT FROM taken) AS allowed,
    (SELECT (extract(epoch FROM r.tat - now() - $4) * 1000000)::bigint
        FROM rate_limits r WHERE r.name = $1 AND r.key = $2) AS excess_us";

/// Whether the budget holds one more request, using nothing (`$3`, the interval, is bound
/// like every statement's but not needed here).
const PEEK: &str = "\
SELECT coalesce(r.tat <= now() + $4, true) AS allowed,
    (extract(epoch FROM r.tat - now() - $4) * 1000000)::bigint AS excess_us
FROM (SELECT) AS one
LEFT JOIN rate_limits r ON r.name = $1 AND r.key = $2";

/// Uses one request's worth whatever the budget holds (it already happened, e.g. a failed
/// login), never running more than one period ahead, so racing failures cannot extend a
/// refusal without bound.
const CHARGE: &str = "\
INSERT INTO rate_limits AS r (name, key, tat) VALUES ($1, $2, now() + $3)
ON CONFLICT (name, key) DO UPDATE
    SET tat = least(greatest(r.tat, now()) + $3, now() + $4 + $3)";

/// One key's budget under one limit: what every statement here is about.
#[derive(Clone, Copy, Debug)]
pub struct Budget<'a> {
    /// The limit's name (e.g. `login`).
    pub name: &'static str,
    /// Whose budget (an address, an account and address, a user).
    pub key: &'a str,
    pub rate: Rate,
}

/// What a statement answering [`Answer`] says of one key's budget.
async fn decide(pool: &PgPool, sql: &'static str, budget: Budget<'_>) -> Result<Decision, DbError> {
    let mut conn = pool.get().await?;
    let answer: Answer = statement(sql, budget).get_result(&mut conn).await?;
    Ok(answer.decision(budget.rate))
}

/// A statement on one key's budget: `$1` the limit's name, `$2` the key, `$3` the interval,
/// `$4` the tolerance.
fn statement<'a>(sql: &'static str, budget: Budget<'a>) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(budget.name)
        .bind::<Text, _>(budget.key)
        .bind::<Interval, _>(interval(budget.rate.interval))
        .bind::<Interval, _>(interval(budget.rate.tolerance))
}

fn interval(duration: Duration) -> PgInterval {
    PgInterval::from_microseconds(i64::try_from(duration.as_micros()).unwrap_or(i64::MAX))
}

impl Answer {
    fn decision(self, rate: Rate) -> Decision {
        if self.allowed {
            return Decision::Allowed;
        }
        // A key whose row appeared or moved after the statement's snapshot reads as
        // "no excess": one interval is then the honest guess.
        let excess = self
            .excess_us
            .and_then(|us| u64::try_from(us).ok())
            .map(Duration::from_micros)
            .filter(|excess| !excess.is_zero())
            .unwrap_or(rate.interval);
        Decision::Limited {
            retry_after: excess,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgRateLimitRepo;

impl PgRateLimitRepo {
    /// Takes one request's worth if the budget holds it.
    pub async fn take(&self, pool: &PgPool, budget: Budget<'_>) -> Result<Decision, DbError> {
        decide(pool, TAKE, budget).await
    }

    /// Whether the budget holds one more request, using nothing.
    pub async fn peek(&self, pool: &PgPool, budget: Budget<'_>) -> Result<Decision, DbError> {
        decide(pool, PEEK, budget).await
    }

    pub async fn charge(&self, pool: &PgPool, budget: Budget<'_>) -> Result<(), DbError> {
        let mut conn = pool.get().await?;
        statement(CHARGE, budget).execute(&mut conn).await?;
        Ok(())
    }

    /// Deletes the keys whose budget is whole again (a missing row means exactly that),
    /// so client-chosen keys cannot grow the table beyond those seen in the last period.
    pub async fn prune(&self, pool: &PgPool) -> Result<usize, DbError> {
        let mut conn = pool.get().await?;
        Ok(
            diesel::sql_query("DELETE FROM rate_limits WHERE tat < now()")
                .execute(&mut conn)
                .await?,
        )
    }
}
