//! Lists: the one pagination, ordering and search mechanism every collection uses.

use crate::{Error, ValidationErrors};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Iterable, Order, PaginatorTrait, PrimaryKeyToColumn,
    QueryOrder, QuerySelect, Select,
    sea_query::{ColumnType, Condition, Expr, ExprTrait, Func, LikeExpr},
};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;

/// Which page of a list, already checked: `page` ≥ 1, 1 ≤ `page_size` ≤ 200.
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

/// Counts `select`, then fetches the requested page in the requested order (ties broken by
/// primary key, so pages never overlap). A page past the end is `NotFound`, except page 1.
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
    let count = select.clone().count(db).await?;
    let offset = (page.page - 1).saturating_mul(page.page_size);
    if page.page > 1 && offset >= count {
        return Err(Error::NotFound);
    }
    let mut query = select;
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
    let items = query.offset(offset).limit(page.page_size).all(db).await?;
    Ok(Page {
        count,
        page: page.page,
        page_size: page.page_size,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::site;

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
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert!(PageRequest::new(None, Some(201)).is_err());
        assert!(PageRequest::new(Some(3), Some(200)).is_ok());
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
        #[test]
        fn any_ordering_text_parses_or_is_refused(spec in "\\PC{0,40}") {
            let _ = parse_ordering(Some(&spec), KEYS);
        }

        #[test]
        fn any_page_numbers_parse_or_are_refused(page in proptest::option::of(0u64..u64::MAX), size in proptest::option::of(0u64..1000)) {
            match PageRequest::new(page, size) {
                Ok(request) => {
                    proptest::prop_assert!(request.page >= 1);
                    proptest::prop_assert!((1..=MAX_PAGE_SIZE).contains(&request.page_size));
                }
                Err(Error::Validation(_)) => {}
                Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
