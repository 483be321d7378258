//! The national tracing system from the command line: importing an agency's
//! file with a column mapping, searching, a weapon's history, the domestic
//! trace (8.1), the national database of recovered weapons, and the answer
//! drafted from the records (8.3).
//!
//! Import streams: the file is read on a thread of its own a batch at a
//! time and sent as it is read, so memory stays flat whatever its size.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, anyhow, bail};
use iti_node::i18n::Texts;
use iti_node::policy::marking::{Marking, Restriction, Tlp};
use iti_node::records::{self as rec, Domain, Kind};
use iti_node::render;
use iti_proto::v1 as pb;
use serde::Deserialize;

use crate::client::{Connection, Print, failed, print_json, read_json};

/// Records per message of the import stream.
const BATCH: usize = 500;

/// A source's column mapping (`--mapping MAP.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The source's record domain (5.1).
    pub domain: String,
    /// Record field = column of the file (CSV header, or JSON key).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Record field = the same value on every line.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// Record field (or "*") = its default marking: "TLP:AMBER", then any
    /// restrictions ("LE-ONLY", "PROPRIETARY", ...), and "personal" for
    /// personal data.
    #[serde(default)]
    pub markings: BTreeMap<String, String>,
}

/// Reads and checks a mapping: every field it names must be a record field.
pub fn read_mapping(path: &Path) -> anyhow::Result<Mapping> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("mapping {}", path.display()))?;
    let m: Mapping =
        toml::from_str(&text).map_err(|e| anyhow!("mapping {}: {e}", path.display()))?;
    for (section, fields) in [("columns", &m.columns), ("constants", &m.constants)] {
        for f in fields.keys() {
            if !rec::FIELDS.contains(&f.as_str()) {
                bail!(
                    "mapping {}: [{section}] {f}: not a record field (one of: {})",
                    path.display(),
                    rec::FIELDS.join(", ")
                );
            }
        }
    }
    if !m.columns.contains_key("source_key") && !m.constants.contains_key("source_key") {
        bail!(
            "mapping {}: [columns] needs source_key (the source's own key: a re-import updates by it)",
            path.display()
        );
    }
    Ok(m)
}

/// "TLP:RED LE-ONLY personal" as a field marking.
pub fn parse_marking(field: &str, text: &str) -> anyhow::Result<pb::FieldMarking> {
    let mut tokens = text.split_whitespace();
    let tlp: Tlp = tokens
        .next()
        .ok_or_else(|| anyhow!("[markings] {field}: empty"))?
        .parse()
        .map_err(|e| anyhow!("[markings] {field}: {e}"))?;
    let mut marking = Marking::new(tlp);
    let mut personal = false;
    for t in tokens {
        if t.eq_ignore_ascii_case("personal") {
            personal = true;
        } else {
            let r: Restriction = t.parse().map_err(|e| anyhow!("[markings] {field}: {e}"))?;
            marking = marking.with(r);
        }
    }
    Ok(pb::FieldMarking {
        field: field.to_string(),
        marking: Some(marking.to_proto()),
        personal,
    })
}

/// What the reading thread produces: batches, and lines it could not read.
enum Read_ {
    Batch(Vec<pb::NationalRecord>),
    Unreadable(pb::RejectedLine),
}

/// Counts the bytes read, for the progress line.
pub(crate) struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R, read: Arc<AtomicU64>) -> Counting<R> {
        Counting { inner, read }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn apply(mapping: &Mapping, line: u64, get: impl Fn(&str) -> Option<String>) -> pb::NationalRecord {
    let mut r = pb::NationalRecord {
        line,
        ..Default::default()
    };
    for (field, value) in &mapping.constants {
        rec::set_field(&mut r, field, value.clone());
    }
    for (field, column) in &mapping.columns {
        if let Some(v) = get(column) {
            rec::set_field(&mut r, field, v);
        }
    }
    r
}

type Sender = tokio::sync::mpsc::Sender<Read_>;

fn read_csv(path: &Path, mapping: &Mapping, reader: impl Read, tx: &Sender) -> anyhow::Result<()> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| anyhow!("{}: header row: {e}", path.display()))?
        .clone();
    let mut index = BTreeMap::new();
    for column in mapping.columns.values() {
        let i = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(column.trim()))
            .ok_or_else(|| {
                anyhow!(
                    "{}: the header has no column {column:?} (named in the mapping)",
                    path.display()
                )
            })?;
        index.insert(column.clone(), i);
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut row = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let line = row.position().map_or(0, |p| p.line());
                batch.push(apply(mapping, line, |c| {
                    index.get(c).and_then(|i| row.get(*i)).map(str::to_string)
                }));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                send(
                    tx,
                    Read_::Unreadable(pb::RejectedLine {
                        line,
                        reason: format!("unreadable CSV line: {}", csv_error_kind(&e)),
                    }),
                )?;
            }
        }
        if batch.len() >= BATCH {
            send(tx, Read_::Batch(std::mem::take(&mut batch)))?;
        }
    }
    if !batch.is_empty() {
        send(tx, Read_::Batch(batch))?;
    }
    Ok(())
}

/// The kind of a CSV error, without the line's content.
fn csv_error_kind(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not UTF-8".into(),
        _ => "malformed".into(),
    }
}

fn send(tx: &Sender, item: Read_) -> anyhow::Result<()> {
    tx.blocking_send(item)
        .map_err(|_| anyhow!("the import stopped (see the node's answer)"))
}

fn json_record(
    mapping: &Mapping,
    line: u64,
    v: &serde_json::Value,
) -> Result<pb::NationalRecord, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| "not a JSON object".to_string())?;
    Ok(apply(mapping, line, |c| {
        obj.get(c).and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }))
}

/// JSON Lines (one object a line): numbered by line.
fn read_json_lines(mapping: &Mapping, reader: impl Read, tx: &Sender) -> anyhow::Result<()> {
    use std::io::BufRead;
    let mut batch = Vec::with_capacity(BATCH);
    for (i, line) in std::io::BufReader::new(reader).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(&line)
            .map_err(|e| format!("not JSON: {}", e.classify_name()))
            .and_then(|v| json_record(mapping, n, &v))
        {
            Ok(r) => batch.push(r),
            Err(reason) => send(tx, Read_::Unreadable(pb::RejectedLine { line: n, reason }))?,
        }
        if batch.len() >= BATCH {
            send(tx, Read_::Batch(std::mem::take(&mut batch)))?;
        }
    }
    if !batch.is_empty() {
        send(tx, Read_::Batch(batch))?;
    }
    Ok(())
}

trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "unexpected end",
        }
    }
}

/// A JSON array of objects, read element by element (never whole):
/// numbered by position in the array.
fn read_json_array(mapping: &Mapping, reader: impl Read, tx: &Sender) -> anyhow::Result<()> {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    struct Each<'a> {
        mapping: &'a Mapping,
        tx: &'a Sender,
    }
    impl<'de> Visitor<'de> for Each<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of record objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut batch = Vec::with_capacity(BATCH);
            let mut n = 0u64;
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                n += 1;
                match json_record(self.mapping, n, &v) {
                    Ok(r) => batch.push(r),
                    Err(reason) => send(
                        self.tx,
                        Read_::Unreadable(pb::RejectedLine { line: n, reason }),
                    )
                    .map_err(serde::de::Error::custom)?,
                }
                if batch.len() >= BATCH {
                    send(self.tx, Read_::Batch(std::mem::take(&mut batch)))
                        .map_err(serde::de::Error::custom)?;
                }
            }
            if !batch.is_empty() {
                send(self.tx, Read_::Batch(batch)).map_err(serde::de::Error::custom)?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    de.deserialize_seq(Each { mapping, tx })
        .map_err(|e| anyhow!("{e}"))
}

/// The import header from the command line and the mapping.
fn header(
    source: &str,
    kind: &str,
    mapping: &Mapping,
    dry_run: bool,
) -> anyhow::Result<pb::ImportHeader> {
    let kind = Kind::parse(kind).ok_or_else(|| {
        anyhow!("--kind: manufacture, import, export, holding, transfer, loss or destruction")
    })?;
    let domain = Domain::parse(&mapping.domain).ok_or_else(|| {
        anyhow!(
            "mapping: domain: law_enforcement, manufacturers, dealers, civilians, military or transfer_licensing"
        )
    })?;
    Ok(pb::ImportHeader {
        source: source.to_string(),
        kind: kind.to_proto() as i32,
        domain: domain.to_proto() as i32,
        markings: mapping
            .markings
            .iter()
            .map(|(f, m)| parse_marking(f, m))
            .collect::<anyhow::Result<_>>()?,
        dry_run,
    })
}

pub struct ImportArgs<'a> {
    pub source: &'a str,
    pub kind: &'a str,
    pub mapping: &'a Path,
    pub file: &'a Path,
    pub dry_run: bool,
}

pub async fn import(
    conn: &Connection,
    a: ImportArgs<'_>,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mapping = read_mapping(a.mapping)?;
    let header = header(a.source, a.kind, &mapping, a.dry_run)?;
    let file = std::fs::File::open(a.file).with_context(|| format!("{}", a.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let reader = Counting {
        inner: file,
        read: read.clone(),
    };
    let ext = a
        .file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let path = a.file.to_path_buf();
    let (tx, rx) = tokio::sync::mpsc::channel::<Read_>(4);
    let reading = std::thread::spawn(move || match ext.as_str() {
        "json" => read_json_array(&mapping, reader, &tx),
        "jsonl" | "ndjson" => read_json_lines(&mapping, reader, &tx),
        _ => read_csv(&path, &mapping, reader, &tx),
    });
    let unreadable = Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = Progress::new(read, size, print.texts.clone());
    let shown = progress.shown;
    let feed = Feed {
        rx,
        unreadable: unreadable.clone(),
        progress,
    };
    let stream = requests(header, feed);
    let reply = conn.records_import()?.import_records(stream).await;
    if shown {
        eprintln!();
    }
    let finished = reading
        .join()
        .map_err(|_| anyhow!("reading {} failed", a.file.display()))?;
    let mut reply = reply.map_err(failed)?.into_inner();
    finished.with_context(|| format!("{}", a.file.display()))?;
    let unreadable = std::mem::take(&mut *unreadable.lock().unwrap_or_else(|e| e.into_inner()));
    reply.rejected_count += unreadable.len() as u64;
    reply.rejected.extend(unreadable);
    reply.rejected.sort_by_key(|r| r.line);
    if print.json {
        return print_json(out, &reply);
    }
    imported(&print.texts, &reply, out)
}

/// What an import did, in the reader's language; each rejected line's
/// reason as the node gave it.
fn imported(t: &Texts, reply: &pb::ImportRecordsReply, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut summary = t.t_with(
        "records-imported",
        &[
            ("imported", reply.imported.to_string()),
            ("updated", reply.updated.to_string()),
            ("rejected", reply.rejected_count.to_string()),
        ],
    );
    if reply.dry_run {
        summary = t.t_with("records-dry-run", &[("summary", summary)]);
    }
    writeln!(out, "{summary}")?;
    for r in &reply.rejected {
        let args = [("line", r.line.to_string()), ("reason", r.reason.clone())];
        writeln!(out, "  {}", t.t_with("records-rejected-line", &args))?;
    }
    let more = reply
        .rejected_count
        .saturating_sub(reply.rejected.len() as u64);
    if more > 0 {
        let more = t.t_with("records-rejected-more", &[("count", more.to_string())]);
        writeln!(out, "  {more}")?;
    }
    Ok(())
}

/// What the reading thread hands over.
struct Feed {
    rx: tokio::sync::mpsc::Receiver<Read_>,
    unreadable: Arc<std::sync::Mutex<Vec<pb::RejectedLine>>>,
    progress: Progress,
}

/// The progress line of an import, on a terminal: how far into the file
/// the reading is, and how many were sent.
pub(crate) struct Progress {
    read: Arc<AtomicU64>,
    size: u64,
    /// Whether it is shown (stderr is a terminal and the file has a size).
    pub(crate) shown: bool,
    sent: u64,
    last: std::time::Instant,
    texts: Texts,
}

impl Progress {
    pub(crate) fn new(read: Arc<AtomicU64>, size: u64, texts: Texts) -> Progress {
        Progress {
            read,
            size,
            shown: std::io::stderr().is_terminal() && size > 0,
            sent: 0,
            last: std::time::Instant::now(),
            texts,
        }
    }

    /// `n` more sent; the line is redrawn at most every 200 ms.
    pub(crate) fn sent(&mut self, n: u64) {
        self.sent += n;
        if self.shown && self.last.elapsed().as_millis() >= 200 {
            self.last = std::time::Instant::now();
            let percent = self.read.load(Ordering::Relaxed) * 100 / self.size.max(1);
            let args = [
                ("percent", format!("{percent:>3}")),
                ("sent", self.sent.to_string()),
            ];
            eprint!("\ritictl: {}", self.texts.t_with("records-progress", &args));
        }
    }
}

/// The header, then each batch the reading thread yields.
fn requests(
    header: pb::ImportHeader,
    feed: Feed,
) -> impl futures::Stream<Item = pb::ImportRecordsMessage> + Send + 'static {
    use futures::StreamExt;
    use pb::import_records_message::Part;
    let head = futures::stream::iter([pb::ImportRecordsMessage {
        part: Some(Part::Header(header)),
    }]);
    let body = futures::stream::unfold(feed, |mut f| async move {
        loop {
            match f.rx.recv().await? {
                Read_::Batch(records) => {
                    f.progress.sent(records.len() as u64);
                    let message = pb::ImportRecordsMessage {
                        part: Some(Part::Batch(pb::RecordBatch { records })),
                    };
                    return Some((message, f));
                }
                Read_::Unreadable(r) => f
                    .unreadable
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(r),
            }
        }
    });
    head.chain(body)
}

fn query(
    make: Option<String>,
    model: Option<String>,
    calibre: Option<String>,
    serial: String,
) -> pb::SearchRecordsRequest {
    pb::SearchRecordsRequest {
        make: make.unwrap_or_default(),
        model: model.unwrap_or_default(),
        calibre: calibre.unwrap_or_default(),
        serial,
    }
}

fn kind_name(t: &Texts, k: i32) -> String {
    pb::RecordKind::try_from(k)
        .map(|k| t.code(k.as_str_name()))
        .unwrap_or_default()
}

fn domain_name(t: &Texts, d: i32) -> String {
    pb::RecordDomain::try_from(d)
        .map(|d| t.code(d.as_str_name()))
        .unwrap_or_default()
}

fn domains(t: &Texts, ds: &[i32]) -> String {
    ds.iter()
        .map(|d| domain_name(t, *d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One record in a line: kind, source (domain), date, weapon, what it says.
fn record_line(t: &Texts, v: &pb::RecordView) -> String {
    let r = v.record.clone().unwrap_or_default();
    let party = [&r.holder, &r.manufacturer, &r.importer, &r.exporter]
        .into_iter()
        .find(|p| !p.is_empty())
        .cloned()
        .unwrap_or_default();
    let mut s = format!(
        "{:<11} {} ({}) {:<10} {} {} {}",
        kind_name(t, v.kind),
        v.source,
        domain_name(t, v.domain),
        r.date,
        r.make,
        r.model,
        r.serial
    );
    if !party.is_empty() {
        s.push_str(&format!("  {party}"));
    }
    if !r.importing_state.is_empty() {
        let to = t.t_with("records-to", &[("state", r.importing_state.clone())]);
        s.push_str(&format!("  {to}"));
    }
    s.push_str(&format!(
        "  [{}{}]  {}",
        render::marking(t, v.marking.as_ref()),
        personal(t, v.personal),
        t.t_with("records-key", &[("key", r.source_key.clone())])
    ));
    s
}

/// ", personal data" after a marking, when the record holds some.
fn personal(t: &Texts, personal: bool) -> String {
    if personal {
        format!(", {}", t.t("records-personal"))
    } else {
        String::new()
    }
}

pub async fn search(
    conn: &Connection,
    make: Option<String>,
    model: Option<String>,
    calibre: Option<String>,
    serial: String,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = conn
        .records()?
        .search_records(query(make, model, calibre, serial))
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    let args = [
        ("count", reply.matches.len().to_string()),
        ("domains", domains(&print.texts, &reply.domains)),
    ];
    writeln!(out, "{}", print.texts.t_with("records-matched", &args))?;
    for m in &reply.matches {
        if let Some(v) = &m.record {
            let quality = print.texts.coded("match-quality", &m.quality);
            writeln!(out, "  {:<10} {}", quality, record_line(&print.texts, v))?;
        }
        for reason in &m.reasons {
            writeln!(out, "             {reason}")?;
        }
    }
    Ok(())
}

fn step_line(t: &Texts, s: &pb::HistoryStep) -> String {
    let src = s
        .record
        .as_ref()
        .map(|v| {
            let key = v.record.as_ref().map_or("", |r| r.source_key.as_str());
            format!(
                "  [{} ({}), {}; {}{}]",
                v.source,
                domain_name(t, v.domain),
                t.t_with("records-key", &[("key", key.to_string())]),
                render::marking(t, v.marking.as_ref()),
                personal(t, v.personal)
            )
        })
        .unwrap_or_default();
    format!(
        "{:<10} {:<11} {}{src}",
        s.date,
        kind_name(t, s.kind),
        s.description
    )
}

pub async fn history(
    conn: &Connection,
    make: Option<String>,
    model: Option<String>,
    calibre: Option<String>,
    serial: String,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = conn
        .records()?
        .weapon_history(query(make, model, calibre, serial))
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    if reply.steps.is_empty() {
        let args = [("domains", domains(&print.texts, &reply.domains))];
        writeln!(out, "{}", print.texts.t_with("records-none", &args))?;
        return Ok(());
    }
    writeln!(
        out,
        "{} {} ({}{}), {}",
        reply.make,
        reply.serial,
        print.texts.coded("match-quality", &reply.quality),
        if reply.reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", reply.reasons.join("; "))
        },
        print.texts.t_with(
            "records-searched-in",
            &[("domains", domains(&print.texts, &reply.domains))]
        )
    )?;
    for s in &reply.steps {
        writeln!(out, "  {}", step_line(&print.texts, s))?;
    }
    let t = &print.texts;
    writeln!(
        out,
        "  {}",
        t.t_with("records-end", &[("end", reply.end.clone())])
    )?;
    if reply.other_candidates > 0 {
        let args = [("count", reply.other_candidates.to_string())];
        writeln!(out, "  {}", t.t_with("records-others", &args))?;
    }
    Ok(())
}

fn value_line(t: &Texts, v: &pb::MarkedValue) -> String {
    let from: Vec<String> = v
        .provenance
        .iter()
        .map(|p| {
            format!(
                "{}:{} ({}) {}",
                p.source,
                p.source_key,
                domain_name(t, p.domain),
                p.field
            )
        })
        .collect();
    let from = if from.is_empty() {
        t.t("records-from-node")
    } else {
        from.join(", ")
    };
    format!(
        "{}: {}  [{}{}]  {}",
        v.field,
        v.value,
        render::marking(t, v.marking.as_ref()),
        personal(t, v.personal),
        t.t_with("records-from", &[("from", from)])
    )
}

pub async fn trace_domestic(
    conn: &Connection,
    file: &Path,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let recovered: pb::TraceRequest = read_json(file, "recovered weapon")?;
    let reply = conn
        .records()?
        .trace_domestic(pb::TraceDomesticRequest {
            recovered: Some(recovered),
        })
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    domestic(&print.texts, &reply, out)
}

/// What a domestic trace found and did, in the reader's language; the
/// node's summary as it gives it.
fn domestic(t: &Texts, reply: &pb::TraceDomesticReply, out: &mut dyn Write) -> anyhow::Result<()> {
    let id = [("id", reply.recovered_id.clone())];
    writeln!(out, "{}", t.t_with("domestic-recorded", &id))?;
    let searched = [("domains", domains(t, &reply.domains))];
    writeln!(out, "{}", t.t_with("domestic-searched", &searched))?;
    writeln!(
        out,
        "{}",
        t.detail(reply.summary_fact.as_ref(), &reply.summary)
    )?;
    for e in &reply.evidence {
        writeln!(out, "  {}", value_line(t, e))?;
    }
    if !reply.investigation_case_id.is_empty() {
        let case = [("case", reply.investigation_case_id.clone())];
        writeln!(out, "{}", t.t_with("domestic-opened", &case))?;
    }
    if !reply.drafted_trace_id.is_empty() {
        let args = [
            ("to", reply.drafted_to.clone()),
            ("trace", reply.drafted_trace_id.clone()),
        ];
        writeln!(out, "{}", t.t_with("domestic-drafted", &args))?;
    }
    Ok(())
}

pub async fn recovered(
    conn: &Connection,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reply = conn
        .records()?
        .list_recovered(pb::ListRecoveredRequest {})
        .await
        .map_err(failed)?
        .into_inner();
    if print.json {
        return print_json(out, &reply);
    }
    for w in &reply.weapons {
        writeln!(out, "{}", recovered_line(&print.texts, w))?;
    }
    Ok(())
}

/// One recovered weapon: its determination (8.1), the investigation or
/// the request it led to, and how far that has gone.
fn recovered_line(t: &Texts, w: &pb::RecoveredWeapon) -> String {
    let progress = t.coded("state", &w.progress);
    let investigation = if w.investigation_case_id.is_empty() {
        String::new()
    } else {
        let args = [("case", w.investigation_case_id.clone())];
        format!("{} ", t.t_with("recovered-investigation", &args))
    };
    let request = if w.drafted_trace_id.is_empty() {
        progress
    } else {
        let args = [
            ("trace", w.drafted_trace_id.clone()),
            ("progress", progress),
        ];
        t.t_with("recovered-request", &args)
    };
    format!(
        "{}  {:<22} {investigation}{request}",
        w.recovered_id,
        t.coded("determination", &w.determination)
    )
}

fn print_draft(t: &Texts, d: &pb::DraftView, out: &mut dyn Write) -> anyhow::Result<()> {
    let args = [
        ("trace", d.trace_id.clone()),
        ("outcome", d.outcome.clone()),
    ];
    writeln!(out, "{}", t.t_with("draft-answer", &args))?;
    for s in &d.searched {
        writeln!(
            out,
            "  {}",
            t.t_with("draft-searched", &[("what", s.clone())])
        )?;
    }
    for f in &d.findings {
        writeln!(out, "  {}", draft_finding(t, f))?;
    }
    match &d.response {
        Some(r) => {
            let mut text = String::new();
            render::payload(
                t,
                &pb::Payload {
                    body: Some(pb::payload::Body::Response(r.clone())),
                },
                &mut text,
                "  ",
            );
            writeln!(out, "{}", t.t("draft-response"))?;
            write!(out, "{text}")?;
            writeln!(out, "{}", t.t("draft-sources"))?;
            for v in &d.values {
                writeln!(out, "  {}", value_line(t, v))?;
            }
        }
        None => writeln!(out, "{}", t.t("draft-not-shown"))?,
    }
    if d.sent_at.is_some() {
        writeln!(out, "{}", t.t("draft-sent"))?;
    }
    Ok(())
}

/// What one domain found: its points of contact, sources and summary, and
/// whether it is confirmed; withheld from an officer who may not search it.
fn draft_finding(t: &Texts, f: &pb::DomainFinding) -> String {
    let who = if f.officers.is_empty() {
        String::new()
    } else {
        let args = [("officers", f.officers.join(", "))];
        format!(" {}", t.t_with("draft-officers", &args))
    };
    let state = if f.confirmed_by.is_empty() {
        t.t("draft-to-confirm")
    } else {
        t.t_with("draft-confirmed-by", &[("who", f.confirmed_by.clone())])
    };
    let args = [
        ("domain", format!("{}{who}", domain_name(t, f.domain))),
        ("sources", f.sources.join(", ")),
        ("summary", f.summary.clone()),
        ("state", state),
    ];
    let id = if f.withheld {
        "draft-finding-withheld"
    } else {
        "draft-finding"
    };
    t.t_with(id, &args)
}

pub struct DraftArgs<'a> {
    pub trace: &'a str,
    pub send: bool,
    pub out_file: Option<&'a Path>,
    pub confirm_restrictions: bool,
}

pub async fn respond_draft(
    conn: &Connection,
    a: DraftArgs<'_>,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut client = conn.records()?;
    if a.send {
        let reply = client
            .send_draft(pb::SendResponseDraftRequest {
                trace_id: a.trace.to_string(),
                confirm_despite_declared_restrictions: a.confirm_restrictions,
            })
            .await
            .map_err(failed)?
            .into_inner();
        if print.json {
            return print_json(out, &reply);
        }
        let t = &print.texts;
        let confirmed = [("domains", domains(t, &reply.confirmed))];
        writeln!(out, "{}", t.t_with("draft-confirmed", &confirmed))?;
        match &reply.sent {
            Some(sent) => {
                let args = [("envelope", sent.envelope_id.clone())];
                writeln!(out, "{}", t.t_with("draft-response-sent", &args))?;
                for w in &sent.warnings {
                    writeln!(
                        out,
                        "{}",
                        t.t_with("draft-warning", &[("warning", w.clone())])
                    )?;
                }
            }
            None => {
                let args = [("domains", domains(t, &reply.unconfirmed))];
                writeln!(out, "{}", t.t_with("draft-not-sent", &args))?;
            }
        }
        return Ok(());
    }
    let draft = client
        .get_draft(pb::GetDraftRequest {
            trace_id: a.trace.to_string(),
        })
        .await
        .map_err(failed)?
        .into_inner();
    if let Some(path) = a.out_file {
        let response = draft.response.clone().ok_or_else(|| {
            anyhow!("the combined response holds findings of domains you may not search")
        })?;
        std::fs::write(path, serde_json::to_string_pretty(&response)?)
            .with_context(|| format!("{}", path.display()))?;
        let args = [
            ("path", path.display().to_string()),
            ("trace", a.trace.to_string()),
        ];
        writeln!(out, "{}", print.texts.t_with("draft-written", &args))?;
        return Ok(());
    }
    if print.json {
        return print_json(out, &draft);
    }
    print_draft(&print.texts, &draft, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marking_reads_its_tlp_restrictions_and_personal_flag() {
        let m = parse_marking("holder", "TLP:AMBER+STRICT LE-ONLY personal").unwrap();
        assert!(m.personal);
        let marking = Marking::try_from(m.marking.as_ref().unwrap()).unwrap();
        assert_eq!(marking.tlp, Tlp::AmberStrict);
        assert!(
            marking
                .restrictions
                .contains(&Restriction::LawEnforcementOnly)
        );
        assert!(parse_marking("x", "TLP:PURPLE").is_err());
        assert!(parse_marking("x", "TLP:RED SECRET").is_err());
    }

    #[test]
    fn a_mapping_refuses_an_unknown_field_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        std::fs::write(
            &p,
            "domain = \"civilians\"\n[columns]\nsource_key = \"id\"\ncolour = \"c\"\n",
        )
        .unwrap();
        let e = read_mapping(&p).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
        std::fs::write(&p, "domain = \"civilians\"\n[columns]\nserial = \"s\"\n").unwrap();
        let e = read_mapping(&p).unwrap_err().to_string();
        assert!(e.contains("source_key"), "{e}");
    }
}
