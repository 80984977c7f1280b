//! Services: business rules. Each holds the repositories it needs.

pub mod health;
