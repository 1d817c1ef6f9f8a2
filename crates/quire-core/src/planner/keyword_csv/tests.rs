//! Import and export examples: headers, encodings, line numbers, errors, round trips.

use super::*;
use KeywordIntent::{Commercial, Informational, Navigational, Transactional};

fn parse(text: &str) -> ParsedImport {
    parse_import(text.as_bytes()).expect("the file parses")
}

fn keywords(parsed: &ParsedImport) -> Vec<&str> {
    parsed.keywords.iter().map(|k| k.keyword.as_str()).collect()
}

fn error_lines(parsed: &ParsedImport) -> Vec<u64> {
    parsed.errors.iter().map(|e| e.line).collect()
}

fn imported(
    line: u64,
    keyword: &str,
    volume: Option<i64>,
    difficulty: Option<i32>,
    intent: Option<KeywordIntent>,
) -> ImportedKeyword {
    ImportedKeyword {
        line,
        keyword: keyword.into(),
        volume,
        difficulty,
        intent,
    }
}

fn export(rows: Vec<ExportRow<'_>>) -> Vec<u8> {
    let mut out = Vec::new();
    write_export(&mut out, rows).expect("export");
    out
}

fn row(keyword: &str) -> ExportRow<'_> {
    ExportRow {
        keyword,
        volume: None,
        difficulty: None,
        intent: None,
        cluster: None,
        status: "new",
    }
}

#[test]
fn a_header_row_names_the_columns_and_is_not_imported() {
    let parsed = parse("keyword,volume,difficulty,intent\nred shoes,1200,35,commercial\n");
    assert_eq!(
        parsed.keywords,
        vec![imported(
            2,
            "red shoes",
            Some(1200),
            Some(35),
            Some(Commercial)
        )]
    );
    assert_eq!(parsed.rows, 1);
}

#[test]
fn without_a_header_columns_are_keyword_volume_difficulty_intent() {
    let parsed = parse("red shoes,1200,35,info\nblue shoes\n");
    assert_eq!(
        parsed.keywords,
        vec![
            imported(1, "red shoes", Some(1200), Some(35), Some(Informational)),
            imported(2, "blue shoes", None, None, None),
        ]
    );
}

#[test]
fn reordered_and_unknown_columns_follow_the_header() {
    let parsed = parse(
        "Intent,CPC,Search Volume,KD,Keyword,Notes\n\
         nav,0.5,900,12,shoe shop near me,x\n\
         TRANS,1.2,,,buy shoes,\n",
    );
    assert_eq!(
        parsed.keywords,
        vec![
            imported(
                2,
                "shoe shop near me",
                Some(900),
                Some(12),
                Some(Navigational)
            ),
            imported(3, "buy shoes", None, None, Some(Transactional)),
        ]
    );
}

#[test]
fn a_header_without_a_keyword_column_is_not_csv() {
    assert!(matches!(
        parse_import(&b"volume,difficulty\n"[..]),
        Err(ImportError::NotCsv(_))
    ));
    assert!(matches!(
        parse_import(&b"Volume;Intent\n100;info\n"[..]),
        Err(ImportError::NotCsv(_))
    ));
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let parsed = parse("\u{feff}Keyword,Volume\nred shoes,10\n");
    assert_eq!(keywords(&parsed), ["red shoes"]);
    assert_eq!(parsed.keywords[0].volume, Some(10));
    let headerless = parse("\u{feff}red shoes\n");
    assert_eq!(keywords(&headerless), ["red shoes"]);
}

#[test]
fn crlf_line_ends_are_read_and_lines_counted() {
    let parsed = parse("keyword,volume\r\nred shoes,10\r\n\r\nblue shoes,x\r\ngreen shoes,30\r\n");
    assert_eq!(keywords(&parsed), ["red shoes", "green shoes"]);
    assert_eq!(parsed.keywords[1].line, 5);
    assert_eq!(parsed.keywords[1].volume, Some(30));
    assert_eq!(error_lines(&parsed), [4]);
}

#[test]
fn quoted_commas_and_newlines_keep_later_line_numbers_right() {
    for newline in ["\n", "\r\n"] {
        let text = [
            "keyword,volume",
            "\"shoes, red\",\"1,200\"",
            "\"multi",
            "line\",20",
            "",
            "\"three",
            "",
            "lines\",x",
            "last,-1",
        ]
        .join(newline);
        let parsed = parse(&text);
        assert_eq!(
            keywords(&parsed),
            ["shoes, red", "multi line"],
            "{newline:?}"
        );
        assert_eq!(parsed.keywords[0].volume, Some(1200));
        assert_eq!(parsed.keywords[1].line, 3);
        assert_eq!(error_lines(&parsed), [6, 9], "{newline:?}");
    }
}

#[test]
fn old_mac_line_ends_are_read_as_lines() {
    let parsed = parse("keyword,volume\rred shoes,10\r\"two\rlines\",x\rblue shoes,30");
    assert_eq!(keywords(&parsed), ["red shoes", "blue shoes"]);
    assert_eq!(parsed.keywords[1].line, 5);
    assert_eq!(error_lines(&parsed), [3]);
}

#[test]
fn a_quote_left_open_at_the_end_keeps_its_line() {
    let parsed = parse("keyword\nfirst\n\"open\n");
    assert_eq!(keywords(&parsed), ["first", "open"]);
    assert_eq!(parsed.keywords[1].line, 3);
}

#[test]
fn whitespace_in_keywords_is_normalised() {
    let parsed = parse("keyword\n\"  red \t shoes  \"\n  blue   shoes\t\n");
    assert_eq!(keywords(&parsed), ["red shoes", "blue shoes"]);
}

#[test]
fn duplicates_are_skipped_ignoring_case_and_spacing_and_counted() {
    let parsed = parse("keyword,volume\nRed Shoes,10\nred  shoes,20\nRED SHOES\nblue shoes\n");
    assert_eq!(keywords(&parsed), ["Red Shoes", "blue shoes"]);
    assert_eq!(parsed.keywords[0].volume, Some(10));
    assert_eq!(parsed.duplicates, 2);
    assert_eq!(parsed.rows, 4);
}

#[test]
fn bad_rows_are_reported_with_their_lines_and_the_rest_imported() {
    let parsed = parse(
        "keyword,volume,difficulty,intent\n\
         good one,10,20,info\n\
         bad volume,lots,,\n\
         too hard,,101,\n\
         odd intent,,,curious\n\
         ,5,5,info\n\
         good two\n\
         all wrong,-3,abc,x\n",
    );
    assert_eq!(keywords(&parsed), ["good one", "good two"]);
    assert_eq!(error_lines(&parsed), [3, 4, 5, 6, 8]);
    let messages: Vec<&str> = parsed.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages[0], "volume \"lots\" is not a whole number");
    assert_eq!(
        messages[1],
        "difficulty \"101\" is not a whole number from 0 to 100"
    );
    assert!(messages[2].starts_with("intent \"curious\" is not"));
    assert_eq!(messages[3], "keyword is empty");
    assert_eq!(messages[4].split("; ").count(), 3, "{}", messages[4]);
    assert_eq!(
        parsed.rows,
        parsed.keywords.len() as u64 + parsed.errors.len() as u64 + parsed.duplicates
    );
}

#[test]
fn an_unquoted_thousands_separator_makes_a_row_error() {
    let parsed = parse("keyword,volume\nred shoes,1,200\nblue shoes,\"1,200\"\n");
    assert_eq!(keywords(&parsed), ["blue shoes"]);
    assert_eq!(error_lines(&parsed), [2]);
    assert!(parsed.errors[0].message.contains("quote values"));
    let trailing_empty_cells_are_fine = parse("keyword,volume\nred shoes,1,,\n");
    assert_eq!(keywords(&trailing_empty_cells_are_fine), ["red shoes"]);
}

#[test]
fn one_row_more_than_the_limit_is_refused() {
    let mut text = String::with_capacity(MAX_ROWS * 8 + 16);
    text.push_str("keyword\n");
    for i in 0..=MAX_ROWS {
        text.push_str(&format!("k{i}\n"));
    }
    assert_eq!(
        parse_import(text.as_bytes()),
        Err(ImportError::TooManyRows { limit: MAX_ROWS })
    );
}

#[test]
fn files_without_rows_are_empty() {
    for text in ["", "\n\n", "\r\n", "keyword,volume\n", "keyword\n,\n  \n"] {
        assert_eq!(
            parse_import(text.as_bytes()),
            Err(ImportError::Empty),
            "{text:?}"
        );
    }
}

#[test]
fn binary_and_non_utf8_input_is_not_csv() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let nul_later = b"keyword\nred shoes\nblue\0shoes\n";
    let latin1 = b"keyword\ncaf\xe9\n";
    let utf16 = b"\xff\xfek\0e\0y\0";
    let zip = b"PK\x03\x04\x14\0\x06\0";
    for input in [&png[..], nul_later, latin1, utf16, zip] {
        assert!(
            matches!(parse_import(input), Err(ImportError::NotCsv(_))),
            "{input:?}"
        );
    }
}

#[test]
fn semicolon_and_tab_files_are_detected() {
    let semicolons =
        parse("Keyword;Volume;Difficulty\nrote Schuhe;1.200;30\nblaue Schuhe;1 200;\n");
    assert_eq!(keywords(&semicolons), ["rote Schuhe", "blaue Schuhe"]);
    assert_eq!(semicolons.keywords[0].volume, Some(1200));
    assert_eq!(semicolons.keywords[1].volume, Some(1200));
    let headerless = parse("red shoes, men;1,200;30\n");
    assert_eq!(
        headerless.keywords,
        vec![imported(1, "red shoes, men", Some(1200), Some(30), None)]
    );
    let tabs = parse("keyword\tvolume\nred, shoes\t10\n");
    assert_eq!(keywords(&tabs), ["red, shoes"]);
    assert_eq!(tabs.keywords[0].volume, Some(10));
}

#[test]
fn a_sep_line_sets_the_delimiter_and_counts_as_a_line() {
    let parsed = parse("sep=|\r\nkeyword|volume\r\nred, shoes|10\r\nblue|x\r\n");
    assert_eq!(keywords(&parsed), ["red, shoes"]);
    assert_eq!(parsed.keywords[0].line, 3);
    assert_eq!(error_lines(&parsed), [4]);
}

#[test]
fn the_export_has_a_header_and_escapes_formulas() {
    let out = export(vec![
        ExportRow {
            keyword: "=HYPERLINK(\"http://x\")",
            volume: Some(1200),
            difficulty: Some(35),
            intent: Some(Commercial),
            cluster: Some("@cluster"),
            status: "new",
        },
        row("+1"),
        row("-x"),
        row("a, b"),
    ]);
    let text = String::from_utf8(out).expect("UTF-8");
    assert_eq!(
        text,
        "\u{feff}keyword,volume,difficulty,intent,cluster,status\r\n\
         \"'=HYPERLINK(\"\"http://x\"\")\",1200,35,commercial,'@cluster,new\r\n\
         '+1,,,,,new\r\n\
         '-x,,,,,new\r\n\
         \"a, b\",,,,,new\r\n"
    );
}

#[test]
fn exported_keywords_import_as_they_were() {
    let source = [
        ("red shoes", Some(1200), Some(35), Some(Commercial)),
        ("=1+1", None, Some(0), Some(Informational)),
        ("'-quoted", Some(0), None, None),
        (
            "multi \"quote\", comma",
            Some(5),
            Some(100),
            Some(Navigational),
        ),
        ("ünïcödé 日本語", None, None, Some(Transactional)),
    ];
    let out = export(
        source
            .iter()
            .map(|(keyword, volume, difficulty, intent)| ExportRow {
                keyword,
                volume: *volume,
                difficulty: *difficulty,
                intent: *intent,
                cluster: Some("-cluster"),
                status: "new",
            })
            .collect(),
    );
    let parsed = parse_import(out.as_slice()).expect("the export parses");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let back: Vec<_> = parsed
        .keywords
        .iter()
        .map(|k| (k.keyword.as_str(), k.volume, k.difficulty, k.intent))
        .collect();
    assert_eq!(back, source);
}
