//! `report.html` as a reader meets it: a title that dates and places the run, a contents
//! list whose links land, findings ranked by ROI, numbers formatted for people, every
//! metric's definition one click away. (`scripts/report-check.sh` checks in headless
//! Chromium that it fits a 1 280 px window.)

mod common;

use connectsim::results::SummaryRow;

use common::{connectsim, tempdir};

/// The report of a small run of `smoke`, and its summary.
fn smoke_report() -> (String, Vec<SummaryRow>) {
    let tmp = tempdir();
    let out = tmp.path().join("smoke");
    connectsim()
        .args([
            "run",
            "smoke",
            "--replications",
            "4",
            "--months",
            "2",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let summary = csv::Reader::from_path(out.join("summary.csv"))
        .unwrap()
        .deserialize()
        .collect::<Result<Vec<SummaryRow>, _>>()
        .unwrap();
    (html, summary)
}

/// `html` without its charts, folded texts and code blocks: the report's own prose and
/// tables.
fn prose(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        out.push_str(&rest[..start]);
        rest = &rest[start + rest[start..].find("</svg>").unwrap() + 6..];
    }
    out.push_str(rest);
    while let Some(start) = out.find("<details>") {
        let end = start + out[start..].find("</details>").unwrap() + 10;
        out.replace_range(start..end, "");
    }
    out
}

/// The text between `from` and the next `to` after it.
fn between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).unwrap_or_else(|| panic!("no {from}")) + from.len();
    &text[start..start + text[start..].find(to).unwrap()]
}

#[test]
fn the_title_names_the_scenario_date_version_and_commit() {
    let (html, _) = smoke_report();
    let title = between(&html, "<title>", "</title>");
    assert!(title.contains("smoke"), "{title}");
    assert!(title.contains("UTC"), "{title}");
    let meta = between(&html, "<p class=\"meta\">", "</p>");
    assert!(meta.contains("4 replications × 2 months"), "{meta}");
    assert!(meta.contains(&format!("connectsim {}", env!("CARGO_PKG_VERSION"))));
    let commit = between(meta, "commit <code>", "</code>");
    assert!(!commit.is_empty(), "{meta}");
}

#[test]
fn every_contents_link_and_definition_link_lands() {
    let (html, _) = smoke_report();
    let links: Vec<&str> = html
        .split("href=\"#")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert!(links.len() > 20, "{links:?}");
    for anchor in links {
        assert!(
            html.contains(&format!("id=\"{anchor}\"")),
            "#{anchor} has no target"
        );
    }
    let contents = between(&html, "<nav>", "</nav>");
    for section in ["findings", "calibration", "charts", "definitions"] {
        assert!(
            contents.contains(&format!("href=\"#{section}\"")),
            "{section}"
        );
    }
}

#[test]
fn findings_rank_the_strategies_by_roi_against_the_baseline() {
    let (html, summary) = smoke_report();
    let mut expected: Vec<(&str, f64)> = summary
        .iter()
        .filter(|r| r.metric == "roi")
        .filter_map(|r| Some((r.strategy.as_str(), r.mean?)))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let findings = between(&html, "<h2 id=\"findings\">", "<h2 id=");
    let rows: Vec<&str> = findings.split("<tr><td>").skip(1).collect();
    assert_eq!(rows.len(), expected.len());
    for (k, (row, (strategy, _))) in rows.iter().zip(&expected).enumerate() {
        assert!(row.starts_with(&format!("{}</td>", k + 1)), "{row}");
        assert!(row.contains(&format!(">{strategy}")), "rank {k}: {row}");
    }
    // The baseline is marked (smoke has no `selective`: its first strategy by name), and
    // the top strategy is named with its ROI in percent.
    let mut names: Vec<&str> = expected.iter().map(|(s, _)| *s).collect();
    names.sort_unstable();
    assert!(findings.contains(&format!("{} (baseline)", names[0])));
    let lead = between(findings, "<p><b>", "</p>");
    assert!(lead.starts_with(expected[0].0), "{lead}");
    assert!(lead.contains('%'), "{lead}");
    // ROI is said to leave the freelancer's time out.
    assert!(findings.contains("time is not counted"));
}

#[test]
fn numbers_are_formatted_for_people() {
    let (html, _) = smoke_report();
    let text = prose(&html);
    // No raw floats (`31.962796068`): at most 3 decimals anywhere outside the charts.
    let bytes = text.as_bytes();
    for (i, w) in bytes.windows(5).enumerate() {
        let raw = w[0] == b'.' && w[1..].iter().all(u8::is_ascii_digit);
        assert!(
            !raw || !bytes[i.saturating_sub(1)].is_ascii_digit(),
            "a raw number near {}",
            &text[i.saturating_sub(30)..(i + 30).min(text.len())]
        );
    }
    // ROI in percent, money in dollars, negatives with a minus sign, no "NaN" or "inf".
    let strategies = between(&text, "<h2 id=\"strategies\">", "<h2 id=");
    assert!(strategies.contains('%') && strategies.contains('$'));
    for bad in ["NaN", "inf", "[-"] {
        assert!(!text.contains(bad), "{bad}");
    }
}

#[test]
fn the_calibration_table_is_the_run_s_own_without_calibrate() {
    let (html, _) = smoke_report();
    let calibration = between(&html, "<h2 id=\"calibration\">", "<h2 id=");
    assert!(calibration.contains("against this run alone"));
    assert!(calibration.contains("interviews per proposal"));
    assert!(calibration.contains("boost lift"));
}

#[test]
fn the_scenario_may_name_its_baseline_strategy() {
    let tmp = tempdir();
    let file = tmp.path().join("against-spray.toml");
    std::fs::write(
        &file,
        "extends = \"smoke\"\nname = \"against-spray\"\nbaseline_strategy = \"spray\"\n",
    )
    .unwrap();
    let out = tmp.path().join("run");
    connectsim()
        .arg("run")
        .arg(&file)
        .args(["--replications", "3", "--months", "1", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let summary: Vec<SummaryRow> = csv::Reader::from_path(out.join("summary.csv"))
        .unwrap()
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap();
    let difference = |strategy: &str| {
        summary
            .iter()
            .find(|r| r.strategy == strategy && r.metric == "roi_minus_baseline")
            .unwrap()
            .clone()
    };
    assert_eq!(difference("spray").replications, 0, "the baseline itself");
    assert_eq!(difference("auto-bidder").replications, 3);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("spray (baseline)"));
}
