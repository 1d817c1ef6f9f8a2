//! Lists: the one pagination, ordering and search mechanism every collection uses.

use crate::{Error, ValidationErrors};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iterable, Order,
    PrimaryKeyToColumn, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select,
    sea_query::{ColumnType, Condition, Expr, ExprTrait, Func, LikeExpr, SelectStatement},
};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;
/// The highest page number asked for: far past any real list, and low enough that the offset
/// it makes always fits the databases' signed 64-bit `OFFSET`.
pub const MAX_PAGE: u64 = 1_000_000_000;

/// Which page of a list, already checked: 1 ≤ `page` ≤ 10⁹, 1 ≤ `page_size` ≤ 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub page_size: u64,
}

impl PageRequest {
    pub fn new(page: Option<u64>, page_size: Option<u64>) -> Result<Self, Error> {
        let mut errors = ValidationErrors::default();
        let page = page.unwrap_or(1);
        if page == 0 {
            errors.add("page", "Pages are numbered from 1.");
        } else if page > MAX_PAGE {
            errors.add("page", "Use a page number from 1 to 1,000,000,000.");
        }
        let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            errors.add(
                "page_size",
                format!("Use a page size from 1 to {MAX_PAGE_SIZE}."),
            );
        }
        errors.into_result()?;
        Ok(Self { page, page_size })
    }

    /// Rows before the page.
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.page_size
    }
}

/// One page of a list and the total it was cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub count: u64,
    pub page: u64,
    pub page_size: u64,
    pub items: Vec<T>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            count: self.count,
            page: self.page,
            page_size: self.page_size,
            items: self.items.into_iter().map(f).collect(),
        }
    }

    pub fn has_next(&self) -> bool {
        self.page.saturating_mul(self.page_size) < self.count
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }
}

/// The sort keys a list accepts: the public name and its column.
pub type SortKeys<C> = &'static [(&'static str, C)];

/// Parses `ordering` (`name`, `-created_at`, comma-separated) against the accepted keys.
pub fn parse_ordering<C: ColumnTrait>(
    spec: Option<&str>,
    accepted: SortKeys<C>,
) -> Result<Vec<(C, Order)>, Error> {
    let mut ordering = Vec::new();
    for term in spec
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let (name, order) = match term.strip_prefix('-') {
            Some(name) => (name, Order::Desc),
            None => (term, Order::Asc),
        };
        let Some((_, column)) = accepted.iter().find(|(key, _)| *key == name) else {
            let names: Vec<&str> = accepted.iter().map(|(key, _)| *key).collect();
            return Err(Error::Validation(ValidationErrors::single(
                "ordering",
                format!(
                    "Order by one of: {} (prefix - to reverse).",
                    names.join(", ")
                ),
            )));
        };
        ordering.push((*column, order));
    }
    Ok(ordering)
}

/// Like [`parse_ordering`], with `default` when the caller asked for no order.
pub fn parse_ordering_or<C: ColumnTrait>(
    spec: Option<&str>,
    accepted: SortKeys<C>,
    default: (C, Order),
) -> Result<Vec<(C, Order)>, Error> {
    let mut ordering = parse_ordering(spec, accepted)?;
    if ordering.is_empty() {
        ordering.push(default);
    }
    Ok(ordering)
}

/// A case-insensitive "contains" match of `term` in any of `columns`; `%`, `_` and `\` in the
/// term match themselves.
pub fn search<C: ColumnTrait>(term: &str, columns: &[C]) -> Condition {
    let escaped = term
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Condition::any(), |any, column| {
        any.add(
            Expr::expr(Func::lower(Expr::col(*column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}

/// Fetches the requested page in the requested order (ties broken by primary key, so pages
/// never overlap) together with the total it was cut from, in one statement: the count is an
/// uncorrelated scalar subquery, which both databases evaluate once (a window count made
/// SQLite materialise every row; docs/decisions.md, "Lists and round trips"). A page past the
/// end is `NotFound`, except page 1.
pub async fn fetch_page<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    ordering: &[(E::Column, Order)],
    page: PageRequest,
) -> Result<Page<E::Model>, Error>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let total = SelectStatement::new()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(select.clone().into_query(), "listed")
        .to_owned();
    let mut query = select.expr_as(Expr::SubQuery(None, Box::new(total.into())), TOTAL_COLUMN);
    for (column, order) in ordering {
        // Text sorts the way people read it, whatever the database's collation.
        query = if matches!(
            column.def().get_column_type(),
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_)
        ) {
            query.order_by(Expr::expr(Func::lower(Expr::col(*column))), order.clone())
        } else {
            query.order_by(*column, order.clone())
        };
    }
    for key in E::PrimaryKey::iter() {
        query = query.order_by(key.into_column(), Order::Asc);
    }
    let rows = query
        .offset(page.offset())
        .limit(page.page_size)
        .into_model::<Counted<E::Model>>()
        .all(db)
        .await?;
    let Some(first) = rows.first() else {
        // No row at this offset: the list is empty (page 1) or shorter than the offset.
        return if page.page > 1 {
            Err(Error::NotFound)
        } else {
            Ok(Page {
                count: 0,
                page: page.page,
                page_size: page.page_size,
                items: Vec::new(),
            })
        };
    };
    let count = u64::try_from(first.total).unwrap_or_default();
    Ok(Page {
        count,
        page: page.page,
        page_size: page.page_size,
        items: rows.into_iter().map(|row| row.model).collect(),
    })
}

/// The column the page's rows carry their list's total in.
const TOTAL_COLUMN: &str = "listing_total";

/// A row of a page and the total of its list.
struct Counted<M> {
    total: i64,
    model: M,
}

impl<M: FromQueryResult> FromQueryResult for Counted<M> {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            total: row.try_get(pre, TOTAL_COLUMN)?,
            model: M::from_query_result(row, pre)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::site;
    use proptest::prelude::*;

    const KEYS: SortKeys<site::Column> = &[("name", site::Column::Name), ("id", site::Column::Id)];

    #[test]
    fn page_requests_are_bounded() {
        assert_eq!(
            PageRequest::new(None, None).expect("defaults"),
            PageRequest {
                page: 1,
                page_size: DEFAULT_PAGE_SIZE
            }
        );
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(MAX_PAGE + 1), None).is_err());
        assert!(PageRequest::new(Some(u64::MAX), Some(MAX_PAGE_SIZE)).is_err());
        assert!(PageRequest::new(Some(MAX_PAGE), Some(MAX_PAGE_SIZE)).is_ok());
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert!(PageRequest::new(None, Some(201)).is_err());
        assert!(PageRequest::new(Some(3), Some(200)).is_ok());
        // Regression: `page=18446744073709551615` reached the driver and panicked it; the
        // largest page's offset fits the databases' signed 64-bit offsets.
        assert!(PageRequest::new(Some(u64::MAX), None).is_err());
        let largest = PageRequest::new(Some(MAX_PAGE), Some(MAX_PAGE_SIZE)).expect("largest");
        assert!(i64::try_from(largest.offset()).is_ok());
    }

    #[test]
    fn ordering_accepts_known_keys_and_reversal() {
        let parsed = parse_ordering(Some("-name, id"), KEYS).expect("valid");
        let printed: Vec<String> = parsed.iter().map(|(c, o)| format!("{c:?} {o:?}")).collect();
        assert_eq!(printed, ["Name Desc", "Id Asc"]);
        assert!(parse_ordering(Some("password_hash"), KEYS).is_err());
        assert!(parse_ordering(None, KEYS).expect("empty").is_empty());
    }

    #[test]
    fn next_and_previous_follow_the_count() {
        let page = |page, count| Page::<()> {
            count,
            page,
            page_size: 10,
            items: vec![],
        };
        assert!(page(1, 11).has_next());
        assert!(!page(2, 11).has_next());
        assert!(!page(1, 10).has_next());
        assert!(page(2, 11).has_previous());
        assert!(!page(1, 11).has_previous());
    }

    proptest::proptest! {
        /// An ordering is accepted exactly when each of its terms, less one leading `-`,
        /// is a whitelisted key, and then it sorts by those keys in that order.
        #[test]
        fn ordering_accepts_exactly_the_whitelisted_keys(
            spec in prop_oneof![
                "\\PC{0,40}",
                proptest::collection::vec(
                    prop_oneof![
                        "-{0,2}(name|id|created_at|password_hash|Name| name|id )",
                        "\\PC{0,6}",
                    ],
                    0..5,
                )
                .prop_map(|terms| terms.join(",")),
            ]
        ) {
            let terms: Vec<&str> = spec.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
            let expected: Option<Vec<String>> = terms
                .iter()
                .map(|term| {
                    let (name, order) = match term.strip_prefix('-') {
                        Some(name) => (name, "Desc"),
                        None => (*term, "Asc"),
                    };
                    KEYS.iter()
                        .find(|(key, _)| *key == name)
                        .map(|(_, column)| format!("{column:?} {order}"))
                })
                .collect();
            match (parse_ordering(Some(&spec), KEYS), expected) {
                (Ok(parsed), Some(expected)) => {
                    let printed: Vec<String> =
                        parsed.iter().map(|(c, o)| format!("{c:?} {o:?}")).collect();
                    proptest::prop_assert_eq!(printed, expected);
                }
                (Err(Error::Validation(errors)), None) => {
                    let named = format!("{errors:?}").contains("ordering");
                    proptest::prop_assert!(named, "{:?}", errors);
                }
                (parsed, expected) => {
                    proptest::prop_assert!(false, "{:?}: {:?} but expected {:?}", spec, parsed, expected);
                }
            }
        }

        #[test]
        fn any_page_numbers_parse_or_are_refused(page in proptest::option::of(0u64..u64::MAX), size in proptest::option::of(0u64..1000)) {
            match PageRequest::new(page, size) {
                Ok(request) => {
                    proptest::prop_assert!((1..=MAX_PAGE).contains(&request.page));
                    proptest::prop_assert!(
                        i64::try_from((request.page - 1) * request.page_size).is_ok()
                    );
                    proptest::prop_assert!((1..=MAX_PAGE_SIZE).contains(&request.page_size));
                    proptest::prop_assert!(i64::try_from(request.offset()).is_ok());
                }
                Err(Error::Validation(_)) => {}
                Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
