//! Throughput benchmark (run on demand, not by `cargo test`):
//!
//! ```text
//! CITYLOTS2_CORPUS=/path/to/citylots2-synth.jsonl.gz cargo bench -p eventbridge-pattern --bench citylots
//! ```
//!
//! The corpus is not in the repository; without `CITYLOTS2_CORPUS` only `bigEvent` runs.
//! The rule sets and `bigEvent.json` are read from `tests/data/event-ruler/`.
//!
//! * the 14 CityLots2 rule sets of event-ruler's benchmark (5 rules each) over the
//!   synthetic corpus (213,068 events preloaded in memory, one thread), run side by side
//!   with the `quamina` crate (passes interleaved: ours, then quamina's), with the ratio of
//!   the medians per rule type; every pass's per-rule match counts must equal the ones
//!   event-ruler 2.0.1 produced on that corpus;
//! * event-ruler's `bigEvent.json` (compacted; 300 copies) with `bigEventRule.json`;
//! * scaling: 1, 100, 1,000 and 10,000 rules of mixed kinds over the same corpus.
//!
//! Optional arguments (after `--`) select sections or rule types by name, e.g.
//! `-- EXACT bigEvent scaling`. `PASSES=n` sets the measured passes (default 5);
//! `EVENTS=n` uses only the first n events (for profiling; the counts are then only compared
//! between the two engines).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs
)]

use std::io::{BufRead, BufReader};
use std::time::Instant;

use eventbridge_pattern::{MatchScratch, Matcher};
use serde::Deserialize;

/// event-ruler's rule sets and `bigEvent.json`, kept in the repository.
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/event-ruler");

/// Environment variable naming the CityLots2 corpus file.
const CORPUS_VAR: &str = "CITYLOTS2_CORPUS";

#[derive(Deserialize)]
struct RuleSet {
    name: String,
    rules: Vec<serde_json::Value>,
    event_ruler_2_0_1_counts_on_citylots2_synth: Vec<u64>,
}

/// The corpus path from `CITYLOTS2_CORPUS`, or `None` (with an explanation) when unset.
fn corpus_path() -> Option<String> {
    match std::env::var(CORPUS_VAR) {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            println!(
                "{CORPUS_VAR} is not set: skipping the CityLots2 rule sets and the scaling table.\n\
                 The corpus is not in the repository (37 MB): it is a gzip file of 213,068 \n\
                 GeoJSON `Feature` events, one JSON object per line (`citylots2-synth.jsonl.gz`,\n\
                 synthetic, with the shape of event-ruler's citylots2). To run these sections,\n\
                 point {CORPUS_VAR} at that file, e.g.\n\
                 {CORPUS_VAR}=/path/to/citylots2-synth.jsonl.gz cargo bench -p eventbridge-pattern --bench citylots\n\
                 (shared/matcher/README.md, section Benchmarks)."
            );
            None
        }
    }
}

fn load_corpus(path: &str, limit: usize) -> Vec<Vec<u8>> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{CORPUS_VAR}={path}: {e}"));
    let r = BufReader::new(flate2::read::GzDecoder::new(f));
    r.split(b'\n')
        .map(Result::unwrap)
        .filter(|l| !l.is_empty())
        .take(limit)
        .collect()
}

/// Runs `passes` measured passes (after one warm-up); returns (mean, median, best) events/s
/// and the per-rule counts of the last pass. The median is the headline: on a shared 2-core
/// machine a single pass that loses the CPU drags the mean.
fn measure(m: &Matcher, events: &[Vec<u8>], passes: usize) -> (f64, f64, f64, Vec<u64>) {
    let mut scratch = MatchScratch::default();
    let mut out = Vec::new();
    let mut counts = vec![0u64; m.len()];
    let mut rates = Vec::new();
    for pass in 0..=passes {
        counts.iter_mut().for_each(|c| *c = 0);
        let t = Instant::now();
        for e in events {
            m.matching_ids_with(&mut scratch, e, &mut out).unwrap();
            for &i in &out {
                counts[i] += 1;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        if pass > 0 {
            rates.push(events.len() as f64 / secs);
        }
    }
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    let best = rates.iter().copied().fold(0.0, f64::max);
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    (mean, median, best, counts)
}

/// One timed pass of the `quamina` crate over `events`; adds to `counts`, returns events/s.
#[inline(never)]
fn quamina_pass(q: &quamina::Quamina<usize>, events: &[Vec<u8>], counts: &mut [u64]) -> f64 {
    let t = Instant::now();
    for e in events {
        for i in q.matches_for_event(e).unwrap() {
            counts[i] += 1;
        }
    }
    events.len() as f64 / t.elapsed().as_secs_f64()
}

/// One timed pass of our matcher over `events`; adds to `counts`, returns events/s.
#[inline(never)]
fn our_pass(
    m: &Matcher,
    scratch: &mut MatchScratch,
    out: &mut Vec<usize>,
    events: &[Vec<u8>],
    counts: &mut [u64],
) -> f64 {
    let t = Instant::now();
    for e in events {
        m.matching_ids_with(scratch, e, out).unwrap();
        for &i in out.iter() {
            counts[i] += 1;
        }
    }
    events.len() as f64 / t.elapsed().as_secs_f64()
}

fn median(rates: &[f64]) -> f64 {
    let mut sorted = rates.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// The rule set run by both engines in the same process, passes interleaved (ours, then
/// quamina, one warm-up each, then `passes` rounds), so both see the same machine load.
/// Returns our median, quamina's median (`None` if it rejects a rule) and the per-pass ratios.
fn side_by_side(
    set: &RuleSet,
    m: &Matcher,
    events: &[Vec<u8>],
    passes: usize,
) -> (f64, Option<f64>, Vec<f64>) {
    let mut q = quamina::Quamina::<usize>::new();
    let supported = set
        .rules
        .iter()
        .enumerate()
        .all(|(i, r)| q.add_pattern(i, &r.to_string()).is_ok());
    // With `EVENTS` set (a prefix of the corpus, e.g. for callgrind) the counts are not
    // checked against event-ruler's, only against each other.
    let full = events.len() == 213_068;
    let mut scratch = MatchScratch::default();
    let mut out = Vec::new();
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for pass in 0..=passes {
        let mut counts = vec![0u64; m.len()];
        let a = our_pass(m, &mut scratch, &mut out, events, &mut counts);
        if full {
            assert_eq!(
                counts, set.event_ruler_2_0_1_counts_on_citylots2_synth,
                "{}: our counts differ from event-ruler's",
                set.name
            );
        }
        let b = if supported {
            let mut qcounts = vec![0u64; m.len()];
            let b = quamina_pass(&q, events, &mut qcounts);
            assert_eq!(qcounts, counts, "{}: quamina's counts differ", set.name);
            Some(b)
        } else {
            None
        };
        if pass > 0 {
            ours.push(a);
            if let Some(b) = b {
                theirs.push(b);
                ratios.push(a / b);
            }
        }
    }
    (median(&ours), supported.then(|| median(&theirs)), ratios)
}

/// Removes whitespace outside strings.
fn compact(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_str = false;
    let mut esc = false;
    for &c in s {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if !c.is_ascii_whitespace() {
            if c == b'"' {
                in_str = true;
            }
            out.push(c);
        }
    }
    out
}

fn field<'a>(e: &'a serde_json::Value, path: &[&str]) -> &'a serde_json::Value {
    path.iter().fold(e, |v, k| &v[*k])
}

/// `n` rules of mixed kinds built from values of the corpus: exact, prefix + exact,
/// numeric range, suffix + exact, exact + anything-but + exact. Each rule is selective (it
/// matches a few events), so the table shows the cost of holding many rules rather than
/// the cost of reporting many matches.
fn scaling_rules(events: &[Vec<u8>], n: usize) -> Vec<String> {
    let mut rules = Vec::with_capacity(n);
    let step = events.len() / n.max(1);
    for i in 0..n {
        let e: serde_json::Value =
            serde_json::from_slice(&events[(i * step + 17) % events.len()]).unwrap();
        let blklot = field(&e, &["properties", "MAPBLKLOT"])
            .as_str()
            .unwrap_or("x");
        let street = field(&e, &["properties", "STREET"]).as_str().unwrap_or("x");
        let x = field(&e, &["geometry", "firstCoordinates", "x"])
            .as_f64()
            .unwrap_or(0.0);
        let st_type = field(&e, &["properties", "ST_TYPE"])
            .as_str()
            .unwrap_or("ST");
        let tail = &blklot[blklot.len().saturating_sub(5)..];
        let head = &blklot[..blklot.len().min(6)];
        let rule = match i % 5 {
            0 => format!(r#"{{"properties": {{"MAPBLKLOT": ["{blklot}"]}}}}"#),
            1 => format!(
                r#"{{"properties": {{"MAPBLKLOT": [{{"prefix": "{head}"}}], "STREET": ["{street}"]}}}}"#
            ),
            2 => format!(
                r#"{{"geometry": {{"firstCoordinates": {{"x": [{{"numeric": [">", {}, "<=", {}]}}]}}}}}}"#,
                x - 1e-6,
                x
            ),
            3 => format!(
                r#"{{"properties": {{"MAPBLKLOT": [{{"suffix": "{tail}"}}], "ST_TYPE": ["{st_type}"]}}}}"#
            ),
            _ => format!(
                r#"{{"properties": {{"MAPBLKLOT": ["{blklot}"], "FROM_ST": [{{"anything-but": ["{i}"]}}]}}, "geometry": {{"type": ["Polygon"]}}}}"#
            ),
        };
        rules.push(rule);
    }
    rules
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| f == name);
    let passes: usize = std::env::var("PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5);

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    println!(
        "machine: {} cpus, {cpu}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let sets: Vec<RuleSet> = serde_json::from_str(
        &std::fs::read_to_string(format!("{DATA}/citylots2-rulesets.json")).unwrap(),
    )
    .unwrap();
    let wants_corpus = sets.iter().any(|s| wanted(&s.name)) || wanted("scaling");
    let corpus = if wants_corpus { corpus_path() } else { None };
    let need_corpus = corpus.is_some();
    let limit = std::env::var("EVENTS").ok().and_then(|n| n.parse().ok());
    let events = corpus
        .as_deref()
        .map(|p| load_corpus(p, limit.unwrap_or(usize::MAX)))
        .unwrap_or_default();
    if need_corpus {
        println!(
            "corpus: {} events, {} bytes",
            events.len(),
            events.iter().map(Vec::len).sum::<usize>()
        );
        println!(
            "\n| Rule type (5 rules) | this crate, median events/s | quamina 0.7.0, median events/s | ratio of medians | per-pass ratios (min–max) |"
        );
        println!("|---|---:|---:|---:|---|");
    }
    for set in sets.iter().filter(|s| need_corpus && wanted(&s.name)) {
        let m = Matcher::new(
            set.rules
                .iter()
                .enumerate()
                .map(|(i, r)| (i.to_string(), r.to_string())),
        )
        .unwrap();
        let (ours, theirs, ratios) = side_by_side(set, &m, &events, passes);
        match theirs {
            Some(theirs) => {
                let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = ratios.iter().copied().fold(0.0, f64::max);
                println!(
                    "| {} | {ours:.0} | {theirs:.0} | **{:.2}** | {lo:.2}–{hi:.2} |",
                    set.name,
                    ours / theirs
                );
            }
            None => println!("| {} | {ours:.0} | unsupported | – | – |", set.name),
        }
    }

    if wanted("bigEvent") {
        let ev = compact(&std::fs::read(format!("{DATA}/bigEvent.json")).unwrap());
        let rule = std::fs::read_to_string(format!("{DATA}/bigEventRule.json")).unwrap();
        let m = Matcher::new([("big", rule)]).unwrap();
        let copies: Vec<Vec<u8>> = (0..300).map(|_| ev.clone()).collect();
        let (mean, median, best, counts) = measure(&m, &copies, passes);
        assert_eq!(counts, [300], "bigEvent must match every copy");
        println!(
            "\nbigEvent ({} bytes compacted, 1 rule): median {median:.0} events/s, mean {mean:.0}, best {best:.0}",
            ev.len()
        );
    }

    if need_corpus && wanted("scaling") {
        println!("\n| rules | median events/s | mean events/s | best events/s | total matches |");
        println!("|---:|---:|---:|---:|---:|");
        for n in [1usize, 5, 100, 1_000, 10_000] {
            let rules = scaling_rules(&events, n);
            let m = Matcher::new(
                rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (i.to_string(), r.as_str())),
            )
            .unwrap();
            let (mean, median, best, counts) = measure(&m, &events, passes);
            println!(
                "| {n} | {median:.0} | {mean:.0} | {best:.0} | {} |",
                counts.iter().sum::<u64>()
            );
        }
    }
}
