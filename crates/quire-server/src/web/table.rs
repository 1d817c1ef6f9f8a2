//! Sortable tables: the link in a column's header that orders the list by it (clicking again
//! reverses), the `aria-sort` of that `<th>`, and pager links that keep the filters and order.
//!
//! Orderings are the core's: `name` ascending, `-name` descending, keys from the list
//! function's `SORT_KEYS`, passed on untouched as `ordering`. A handler builds one [`Sort`]
//! from its path, its filters and the requested `?ordering=`, passes [`Sort::ordering`] to the
//! core's list function, and when the core refuses it ([`Sort::refused`]) lists again in the
//! default order, with [`Sort::notice`] saying why. Templates use the macros of
//! `templates/table.html`:
//!
//! ```text
//! {% import "table.html" as table %}
//! {% call table::sort_th(sort, "email", "User") %}   <th> with aria-sort and the link
//! {% call table::sort_th(sort, "credits", "Credits", "num") %}
//! {% call table::ordering_input(sort) %}           in a filter form: keeps the order
//! {% call table::pager(sort, page, pages) %}       Previous / Page n of m / Next
//! ```

use quire_core::Error;

/// The query parameter of the order.
const ORDERING: &str = "ordering";
/// The query parameter of the page.
const PAGE: &str = "page";

/// A list's address, filters and order: what its header, filter-form and pager links need.
#[derive(Debug, Clone)]
pub struct Sort {
    path: String,
    filters: Vec<(String, String)>,
    ordering: String,
    refused: Option<String>,
}

/// One column's header: where its link goes and the `aria-sort` of its `<th>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The list ordered by this column: ascending, or descending when it is ascending now;
    /// the filters kept, back to page 1.
    pub href: String,
    /// `ascending` or `descending` when the list is ordered by this column first.
    pub aria_sort: Option<&'static str>,
}

impl Sort {
    /// `path` is the list's address (`/admin/users`), `filters` the query parameters that
    /// select its rows (blank ones are left out, as are `page` and `ordering`), `ordering`
    /// the requested order (blank: the list's default).
    pub fn new(path: &str, filters: &[(&str, &str)], ordering: Option<&str>) -> Self {
        Self {
            path: path.to_owned(),
            filters: filters
                .iter()
                .filter(|(name, value)| {
                    !value.trim().is_empty() && *name != ORDERING && *name != PAGE
                })
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            ordering: ordering.unwrap_or_default().trim().to_owned(),
            refused: None,
        }
    }

    /// The order to pass to the core's list function; `None` for its default.
    pub fn ordering(&self) -> Option<&str> {
        Some(self.ordering.as_str()).filter(|o| !o.is_empty())
    }

    /// The header of the column ordered by `key`.
    pub fn column(&self, key: &str) -> Column {
        let first = self.ordering.split(',').next().unwrap_or_default().trim();
        let (aria_sort, next) = match first.strip_prefix('-') {
            Some(name) if name == key => (Some("descending"), key.to_owned()),
            None if first == key => (Some("ascending"), format!("-{key}")),
            _ => (None, key.to_owned()),
        };
        Column {
            href: self.href(Some(&next), None),
            aria_sort,
        }
    }

    /// The address of page `page` of the list, with its filters and order.
    pub fn page(&self, page: u64) -> String {
        self.href(self.ordering(), Some(page))
    }

    /// Whether `listed` is the core refusing the order (a field error on `ordering`). If so
    /// the order is dropped, the core's message kept for [`Sort::notice`], and the caller
    /// lists again in the default order.
    pub fn refused<T>(&mut self, listed: &Result<T, Error>) -> bool {
        let Err(Error::Validation(errors)) = listed else {
            return false;
        };
        let Some(messages) = errors.fields().get(ORDERING) else {
            return false;
        };
        if self.ordering.is_empty() {
            return false;
        }
        self.refused = Some(format!(
            "This list cannot be ordered by “{}”: {} It is shown in its usual order.",
            self.ordering,
            messages.join(" ")
        ));
        self.ordering.clear();
        true
    }

    /// Why the list is not in the order asked for, if the core refused it.
    pub fn notice(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    fn href(&self, ordering: Option<&str>, page: Option<u64>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&self.filters);
        if let Some(ordering) = ordering {
            query.append_pair(ORDERING, ordering);
        }
        if let Some(page) = page {
            query.append_pair(PAGE, &page.to_string());
        }
        match query.finish() {
            query if query.is_empty() => self.path.clone(),
            query => format!("{}?{query}", self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_core::ValidationErrors;

    fn users(ordering: Option<&str>) -> Sort {
        Sort::new(
            "/admin/users",
            &[("search", "ann & bo"), ("status", ""), ("page", "3")],
            ordering,
        )
    }

    #[test]
    fn an_unsorted_column_links_to_ascending_and_keeps_the_filters() {
        let column = users(None).column("email");
        assert_eq!(column.href, "/admin/users?search=ann+%26+bo&ordering=email");
        assert_eq!(column.aria_sort, None);
    }

    #[test]
    fn clicking_the_sorted_column_toggles_its_direction() {
        let ascending = users(Some("email")).column("email");
        assert_eq!(ascending.aria_sort, Some("ascending"));
        assert!(
            ascending.href.ends_with("ordering=-email"),
            "{}",
            ascending.href
        );
        let descending = users(Some("-email")).column("email");
        assert_eq!(descending.aria_sort, Some("descending"));
        assert!(
            descending.href.ends_with("ordering=email"),
            "{}",
            descending.href
        );
    }

    #[test]
    fn only_the_first_key_of_an_ordering_counts_and_names_must_match_whole() {
        let sort = users(Some(" -name, email"));
        assert_eq!(sort.column("name").aria_sort, Some("descending"));
        assert_eq!(sort.column("email").aria_sort, None);
        assert_eq!(sort.column("nam").aria_sort, None);
        assert_eq!(users(Some("-")).column("name").aria_sort, None);
    }

    #[test]
    fn pages_keep_the_filters_and_the_order() {
        let sort = users(Some("-last_login_at"));
        assert_eq!(sort.ordering(), Some("-last_login_at"));
        assert_eq!(
            sort.page(2),
            "/admin/users?search=ann+%26+bo&ordering=-last_login_at&page=2"
        );
        let plain = Sort::new("/admin/plans", &[], Some("  "));
        assert_eq!(plain.ordering(), None);
        assert_eq!(plain.page(1), "/admin/plans?page=1");
        assert_eq!(plain.column("name").href, "/admin/plans?ordering=name");
    }

    #[test]
    fn a_refused_ordering_falls_back_to_the_default_with_a_notice() {
        let mut sort = users(Some("colour"));
        let refused: Result<(), Error> = Err(Error::Validation(ValidationErrors::single(
            "ordering",
            "Order by one of: email, name.",
        )));
        assert!(sort.refused(&refused));
        assert_eq!(sort.ordering(), None);
        let notice = sort.notice().expect("a notice");
        assert!(
            notice.contains("“colour”") && notice.contains("email, name"),
            "{notice}"
        );
        // Asked again (the default order cannot be refused), and for other errors: no.
        assert!(!sort.refused(&refused));
        let other: Result<(), Error> = Err(Error::Validation(ValidationErrors::single(
            "page",
            "Pages are numbered from 1.",
        )));
        assert!(!users(Some("email")).refused(&other));
        assert!(!users(Some("email")).refused(&Ok::<(), Error>(())));
    }
}
