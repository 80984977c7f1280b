//! The names the service stores and is asked for by: the actions the audit trail records,
//! the kinds of target they are about, and the permissions that guard operations.
//!
//! They are contracts (events in MongoDB, grants in PostgreSQL, the document's enums), so
//! each is declared once, by its area of the domain beside its records ([`crate::names!`]):
//! a new resource's names are lines in its area's file, and a constant where they are used,
//! so none can be misspelt. [`AREAS`] lists the areas that declare names.

use super::audit::{AuditAction, TargetKind};
use super::identity::Permission;

/// One area's names, in the order it declares them.
pub struct Names {
    pub targets: &'static [TargetKind],
    pub actions: &'static [AuditAction],
    pub permissions: &'static [Permission],
}

/// Every area that declares names; what the service knows is what these hold.
pub const AREAS: &[&Names] = &[
    &super::identity::NAMES,
    &super::catalog::NAMES,
    &super::audit::NAMES,
    &super::analytics::NAMES,
];

/// Every operation's permission as a type, for `Permitted<permission::ProductsWrite>`.
pub mod permission {
    pub use super::super::analytics::permission::*;
    pub use super::super::audit::permission::*;
    pub use super::super::catalog::permission::*;
    pub use super::super::identity::permission::*;
}

/// Declares a name type: a name whose values are the constants the areas declare with
/// [`crate::names!`], with `as_str` and `all` (every value some area declares, in the areas'
/// order, read from the [`Names`] field `$field`).
#[macro_export]
macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident from $field:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(&'static str);

        impl $ty {
            /// For [`crate::names!`] only: the constants are the way to name one.
            #[doc(hidden)]
            pub const fn declared(name: &'static str) -> Self {
                Self(name)
            }

            pub fn as_str(self) -> &'static str {
                self.0
            }

            /// Every one some area declares, in the areas' order.
            pub fn all() -> impl Iterator<Item = $ty> {
                $crate::domain::names::AREAS
                    .iter()
                    .flat_map(|area| area.$field.iter().copied())
            }
        }
    };
}

/// Declares an area's names: each becomes a constant of its type (`AuditAction::
/// SupplierCreated`, `TargetKind::Supplier`, `Permission::SuppliersWrite`), each permission
/// also a type in the area's `permission` module, and the area's [`Names`] as `NAMES`.
#[macro_export]
macro_rules! names {
    (
        targets { $($(#[$tdoc:meta])* $target:ident => $target_name:literal),* $(,)? }
        actions { $($(#[$adoc:meta])* $action:ident => $action_name:literal),* $(,)? }
        permissions { $($permission:ident => $permission_name:literal),* $(,)? }
    ) => {
        #[allow(non_upper_case_globals)]
        impl $crate::domain::audit::TargetKind {
            $($(#[$tdoc])* pub const $target: Self = Self::declared($target_name);)*
        }

        #[allow(non_upper_case_globals)]
        impl $crate::domain::audit::AuditAction {
            $($(#[$adoc])* pub const $action: Self = Self::declared($action_name);)*
        }

        #[allow(non_upper_case_globals)]
        impl $crate::domain::identity::Permission {
            $(pub const $permission: Self = Self::declared($permission_name);)*
        }

        /// This area's permissions as types (see [`crate::domain::names::permission`]).
        pub mod permission {
            $(
                pub struct $permission;

                impl $crate::domain::identity::Needs for $permission {
                    const PERMISSION: $crate::domain::identity::Permission =
                        $crate::domain::identity::Permission::$permission;
                }
            )*
        }

        /// This area's names.
        pub const NAMES: $crate::domain::names::Names = $crate::domain::names::Names {
            targets: &[$($crate::domain::audit::TargetKind::$target),*],
            actions: &[$($crate::domain::audit::AuditAction::$action),*],
            permissions: &[$($crate::domain::identity::Permission::$permission),*],
        };
    };
}
