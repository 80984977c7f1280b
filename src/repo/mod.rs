//! Repositories: the only place that speaks SQL (`pg`) or BSON (`mongo`).

pub mod mongo;
pub mod pg;
