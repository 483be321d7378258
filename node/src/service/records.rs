//! The national tracing system, wired: importing records, searching them in
//! an officer's domains (5.1), a weapon's history, the domestic trace
//! (8.1), answers drafted from the records (8.3) and the clause 12 figures.
//! The logic is in `records/` (pure); SQL in `store/records.rs`.
//!
//! Audit entries and errors carry facts only (ids, kinds, counts, domains,
//! source names), never record content.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use time::OffsetDateTime;

use iti_proto::v1 as pb;

use super::act::Action;
use super::{Actor, Node, ServiceError, ServiceResult, record_event_after};
use crate::case::completeness;
use crate::case::machine::TraceState;
use crate::case::role::TraceRole;
use crate::clock::{SharedClock, to_timestamp};
use crate::deadlines::Due;
use crate::fact::{code, english, fact, proto_code, text, word, words};
use crate::identity::{Officer, Role};
use crate::ids::{CaseId, ParticipantId, StateCode, TraceId};
use crate::matching;
use crate::policy::marking::Marking;
use crate::records::access::{self, Designation};
use crate::records::determine::{self, Determination, DiversionCategory};
use crate::records::draft::{self, DraftedResponse, ItemSearch, Outcome};
use crate::records::figures::{self, AnswerFact, Figures, RecoveredFact};
use crate::records::history::{self, History};
use crate::records::search::{self, Query, WeaponMatch};
use crate::records::{
    Derived, Domain, Domains, FieldMarkings, Kind, Record, RecordMarking, Source,
};
use crate::store::records::{self as rstore, DraftRow, RecordRow, RecoveredRow};
use crate::store::{Store, Writes, audit, boxed, peers, traces};

/// Valid records written per write job during an import.
pub const IMPORT_BATCH: usize = 1000;
/// Rejected lines an import reply names (the count is always given).
const REJECTED_SHOWN: usize = 1000;

fn denied(e: access::AccessError) -> ServiceError {
    ServiceError::PermissionDenied(e.to_string())
}

fn domains_proto(d: &Domains) -> Vec<i32> {
    d.iter().map(|d| d.to_proto() as i32).collect()
}

/// What the node needs to search and draft, apart from the rest of it: a
/// draft is made in a task of its own after a request is received.
#[derive(Clone)]
pub struct Registry {
    store: Store,
    clock: SharedClock,
    participant: ParticipantId,
}

impl Node {
    pub fn registry(&self) -> Registry {
        Registry {
            store: self.store.clone(),
            clock: self.clock.clone(),
            participant: self.participant().clone(),
        }
    }
}

impl Registry {
    fn own_state(&self) -> ServiceResult<StateCode> {
        self.participant.state().ok_or_else(|| {
            ServiceError::FailedPrecondition(format!(
                "{} is not a state: national records are kept by a state's node",
                self.participant
            ))
        })
    }

    /// How the state's points of contact share the records, from its own
    /// directory entry.
    pub async fn designation(&self) -> ServiceResult<Designation> {
        // One row: a search or a draft must not read the whole directory.
        let own = peers::directory_of(self.store.pool(), &self.participant)
            .await?
            .and_then(|r| pb::SignedDirectoryEntry::decode(r.signed.as_slice()).ok())
            .and_then(|s| pb::DirectoryEntry::decode(s.entry.as_slice()).ok());
        Ok(access::designation(own.as_ref()))
    }

    /// The domains that hold records at all.
    async fn domains_with_records(
        &self,
    ) -> ServiceResult<(Domains, std::sync::Arc<rstore::Sources>)> {
        let sources = self.store.record_sources().await?;
        Ok((sources.values().map(|s| s.domain).collect(), sources))
    }

    /// The weapons matching `query` in `domains`, best first.
    pub async fn search(
        &self,
        query: &Query,
        domains: &Domains,
    ) -> ServiceResult<Vec<WeaponMatch>> {
        let sources = self.store.record_sources().await?;
        self.search_with(query, domains, &sources).await
    }

    async fn search_with(
        &self,
        query: &Query,
        domains: &Domains,
        sources: &BTreeMap<String, Source>,
    ) -> ServiceResult<Vec<WeaponMatch>> {
        let keys = matching::search_keys(&query.serial);
        let candidates = rstore::by_serial_keys(self.store.pool(), &keys, domains, sources).await?;
        Ok(search::weapons(query, &candidates))
    }

    /// Drafts the answer to a received request from the records of every
    /// domain a point of contact may search, and stores it (8.3). `None`
    /// when the node holds no records, or the trace is not a request we
    /// received, or its draft was sent already.
    pub async fn draft_answer_for(
        &self,
        trace_id: TraceId,
    ) -> ServiceResult<Option<pb::DraftView>> {
        let own = self.own_state()?;
        // Asked first: a node without records need not read the request,
        // which can be tens of megabytes.
        let (with_records, sources) = self.domains_with_records().await?;
        if with_records.is_empty() {
            return Ok(None);
        }
        let Some(trace) = traces::get_from_pool(self.store.pool(), trace_id).await? else {
            return Ok(None);
        };
        if trace.role != TraceRole::Requested {
            return Ok(None);
        }
        let designation = self.designation().await?;
        let domains: Domains = designation
            .all_domains()
            .intersection(&with_records)
            .copied()
            .collect();
        let mut searches = Vec::new();
        let request = trace.request.within_node(|r| r.clone());
        for (i, item) in request.items.iter().enumerate() {
            let Some(query) = query_of(item) else {
                continue;
            };
            let weapons = self.search_with(&query, &domains, &sources).await?;
            searches.push(ItemSearch {
                item_index: i,
                item_ref: item.item_ref.clone(),
                query,
                weapons,
            });
        }
        let drafted = draft::draft_response(own.as_str(), &request, &searches, &domains);
        let now = self.clock.now();
        let view = draft_view(trace_id, &drafted, &designation, now);
        let row = DraftRow {
            trace_id: trace_id.to_string(),
            drafted_at: now,
            outcome: drafted.outcome.as_str().to_string(),
            category: outcome_category(&drafted).map(|c| c.as_str().to_string()),
            draft: view.clone(),
            sent_at: None,
            sent_by: None,
        };
        let outcome = format!(
            "history-outcome-{}",
            drafted.outcome.as_str().replace('_', "-")
        );
        let detail = fact(
            "history-answer-drafted",
            [
                word("outcome", code(&outcome)),
                text("domains", domains.len()),
            ],
        );
        let kept = self
            .store
            .write(move |conn| {
                boxed(async move {
                    if rstore::draft_in(conn, &row.trace_id)
                        .await?
                        .is_some_and(|d| d.sent_at.is_some())
                    {
                        return Ok::<_, ServiceError>(false);
                    }
                    let mut writes = Writes::new();
                    writes.push(rstore::draft_write(&row));
                    record_event_after(
                        conn,
                        writes,
                        &trace,
                        "answer_drafted",
                        &Actor::Node,
                        detail,
                        None,
                        now,
                    )
                    .await?;
                    Ok(true)
                })
            })
            .await?;
        Ok(kept.then_some(view))
    }

    /// Figures for `itictl report` (clause 12).
    pub async fn figures(
        &self,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> ServiceResult<Figures> {
        let pool = self.store.pool();
        let recovered: Vec<RecoveredFact> = rstore::recovered(pool)
            .await?
            .into_iter()
            .map(|r| RecoveredFact {
                recorded_at: r.recorded_at,
                determination: r.determination,
                category: r.category.as_deref().and_then(DiversionCategory::parse),
            })
            .collect();
        let drafts: BTreeMap<String, (Option<String>, bool)> = rstore::draft_facts(pool)
            .await?
            .into_iter()
            .map(|(t, c, sent)| (t, (c, sent.is_some())))
            .collect();
        let answers: Vec<AnswerFact> = rstore::answered(pool)
            .await?
            .into_iter()
            .map(|(trace, received_at, answered_at)| {
                let (category, from_records) = match drafts.get(&trace) {
                    Some((c, true)) => (c.as_deref().and_then(DiversionCategory::parse), true),
                    _ => (None, false),
                };
                AnswerFact {
                    received_at,
                    answered_at,
                    from_records,
                    category,
                }
            })
            .collect();
        Ok(figures::figures(&recovered, &answers, from, to))
    }
}

/// After a request (or a resubmission) is received: its answer is drafted
/// from the records in a task of its own, so that the sender's receipt does
/// not wait for it. A failure is logged (facts only); `itictl respond
/// --draft` drafts again on demand.
pub fn draft_in_background(node: &Node, trace_id: TraceId) {
    if node.is_hub() {
        return;
    }
    let registry = node.registry();
    tokio::spawn(async move {
        if let Err(e) = registry.draft_answer_for(trace_id).await {
            tracing::warn!(trace = %trace_id, error = %e, "drafting an answer from records failed");
        }
    });
}

/// The first weapon of a recovered-weapon request with a serial to search
/// for, and its index.
fn weapon_query(recovered: &pb::TraceRequest) -> ServiceResult<(usize, Query)> {
    recovered
        .items
        .iter()
        .enumerate()
        .find_map(|(i, item)| {
            matches!(item.item, Some(pb::recovered_item::Item::Weapon(_)))
                .then(|| query_of(item).map(|q| (i, q)))
                .flatten()
        })
        .ok_or_else(|| {
            ServiceError::invalid(
                "recovered.items",
                "no weapon with a serial number to trace (clause 6.1 d)",
            )
        })
}

/// The clause 6.1 essentials of a weapon or part item, when it has a serial.
fn query_of(item: &pb::RecoveredItem) -> Option<Query> {
    use pb::recovered_item::Item;
    let q = match item.item.as_ref()? {
        Item::Weapon(w) => Query {
            make: w.make.clone(),
            model: w.model.clone(),
            calibre: w.calibre.clone(),
            serial: w.serial_number.clone(),
        },
        Item::Part(p) => Query {
            make: p.make.clone(),
            serial: p.serial_number.clone(),
            ..Default::default()
        },
        Item::Ammunition(_) => return None,
    };
    (!matching::serial_key(&q.serial).is_empty()).then_some(q)
}

fn outcome_category(d: &DraftedResponse) -> Option<DiversionCategory> {
    match d.outcome {
        Outcome::Exported => Some(DiversionCategory::AfterExport),
        Outcome::DivertedInternally | Outcome::StillHeld | Outcome::Destroyed => {
            let holder = d
                .values
                .iter()
                .find(|(p, _)| p == "lastLegalPossessor.category")
                .map(|(_, v)| v.value.clone());
            Some(
                crate::records::HolderCategory::ALL
                    .into_iter()
                    .find(|c| Some(c.words()) == holder.as_deref())
                    .map_or(DiversionCategory::Other, |c| {
                        DiversionCategory::of_holder(Some(c))
                    }),
            )
        }
        Outcome::NoRecord => None,
    }
}

fn marked_value(field: &str, d: &Derived<String>) -> pb::MarkedValue {
    pb::MarkedValue {
        field: field.to_string(),
        value: d.value.clone(),
        marking: Some(d.marking.to_proto()),
        personal: d.marking.personal,
        provenance: d.provenance.iter().map(|p| p.to_proto()).collect(),
    }
}

fn step_view(s: &history::Step) -> pb::HistoryStep {
    pb::HistoryStep {
        date: s.record.fields.date.clone(),
        kind: s.record.kind.to_proto() as i32,
        description: s.description.value.clone(),
        record: Some(s.record.view()),
    }
}

/// The full draft, every domain's findings in it (what is stored).
fn draft_view(
    trace_id: TraceId,
    d: &DraftedResponse,
    designation: &Designation,
    now: OffsetDateTime,
) -> pb::DraftView {
    pb::DraftView {
        trace_id: trace_id.to_string(),
        outcome: d.outcome.as_str().to_string(),
        drafted_at: Some(to_timestamp(now)),
        response: Some(d.response.clone()),
        values: d.values.iter().map(|(p, v)| marked_value(p, v)).collect(),
        findings: d
            .findings
            .iter()
            .map(|f| pb::DomainFinding {
                domain: f.domain.to_proto() as i32,
                sources: f.sources.clone(),
                officers: designation.officers_for(f.domain),
                summary: f.summary.value.clone(),
                steps: f.steps.iter().map(step_view).collect(),
                confirmed_by: String::new(),
                withheld: false,
            })
            .collect(),
        searched: d.searched.clone(),
        sent_at: None,
        unconfirmed: d
            .findings
            .iter()
            .map(|f| f.domain.to_proto() as i32)
            .collect(),
    }
}

/// The domains a draft's value came from.
fn value_domains(v: &pb::MarkedValue) -> impl Iterator<Item = Domain> + '_ {
    v.provenance
        .iter()
        .filter_map(|p| Domain::from_proto(p.domain))
}

/// What `domains` may see of a stored draft: other domains' findings only
/// as facts, and the combined response only if every value in it comes
/// from the viewer's domains.
fn visible(mut view: pb::DraftView, domains: &Domains) -> pb::DraftView {
    let foreign = view
        .values
        .iter()
        .any(|v| value_domains(v).any(|d| !domains.contains(&d)));
    if foreign {
        view.response = None;
        view.values
            .retain(|v| value_domains(v).all(|d| domains.contains(&d)));
    }
    for f in &mut view.findings {
        if Domain::from_proto(f.domain).is_some_and(|d| !domains.contains(&d)) {
            f.withheld = true;
            f.summary.clear();
            f.steps.clear();
        }
    }
    view
}

fn import_rejection(line: u64, e: &crate::records::Rejection) -> pb::RejectedLine {
    pb::RejectedLine {
        line,
        reason: e.to_string(),
    }
}

/// One import in progress: lines are validated as they come, valid ones
/// written a batch at a time (at most one batch waiting, one being
/// written: memory stays flat whatever the file's size).
pub struct ImportSession {
    store: Store,
    source: Source,
    kind: Kind,
    dry_run: bool,
    who: String,
    now: OffsetDateTime,
    batch: BTreeMap<String, Record>,
    writing: Option<tokio::task::JoinHandle<ServiceResult<(u64, u64)>>>,
    imported: u64,
    updated: u64,
    rejected_count: u64,
    rejected: Vec<pb::RejectedLine>,
}

impl Node {
    /// Starts an import from its header: the officer's right to feed records,
    /// the source's domain and markings.
    pub async fn start_import(
        &self,
        officer: &Officer,
        header: &pb::ImportHeader,
    ) -> ServiceResult<ImportSession> {
        if !matches!(officer.role, Role::Poc | Role::Admin) {
            return Err(ServiceError::PermissionDenied(format!(
                "role {} may not import national records (poc or admin)",
                officer.role
            )));
        }
        let name = header.source.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ServiceError::invalid(
                "header.source",
                "1-64 characters of letters, digits, '-', '_' or '.'",
            ));
        }
        let kind = Kind::from_proto(header.kind).ok_or_else(|| {
            ServiceError::invalid(
                "header.kind",
                "manufacture, import, export, holding, transfer, loss or destruction",
            )
        })?;
        let domain = Domain::from_proto(header.domain).ok_or_else(|| {
            ServiceError::invalid(
                "header.domain",
                "law_enforcement, manufacturers, dealers, civilians, military or transfer_licensing",
            )
        })?;
        let markings = FieldMarkings::try_from_proto(&header.markings)
            .map_err(|e| ServiceError::invalid(format!("header.{}", e.field), e.reason))?;
        let existing = self.store.record_sources().await?;
        if let Some(s) = existing.get(name)
            && s.domain != domain
        {
            return Err(ServiceError::invalid(
                "header.domain",
                format!(
                    "source {name} holds {} records; a source keeps its domain",
                    s.domain
                ),
            ));
        }
        Ok(ImportSession {
            store: self.store.clone(),
            source: Source {
                name: name.to_string(),
                domain,
                markings,
            },
            kind,
            dry_run: header.dry_run,
            who: Actor::Officer(officer.clone()).to_string(),
            now: self.now(),
            batch: BTreeMap::new(),
            writing: None,
            imported: 0,
            updated: 0,
            rejected_count: 0,
            rejected: Vec::new(),
        })
    }
}

impl ImportSession {
    /// Validates and queues lines; writes a batch when one is full.
    pub async fn add(&mut self, lines: Vec<pb::NationalRecord>) -> ServiceResult<()> {
        for line in lines {
            match Record::try_from_line(self.kind, &line) {
                Ok(r) => {
                    // A key twice in a file: the later line wins.
                    self.batch.insert(r.fields.source_key.clone(), r);
                }
                Err(e) => {
                    self.rejected_count += 1;
                    if self.rejected.len() < REJECTED_SHOWN {
                        self.rejected.push(import_rejection(line.line, &e));
                    }
                }
            }
            if self.batch.len() >= IMPORT_BATCH {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn wait_for_write(&mut self) -> ServiceResult<()> {
        if let Some(w) = self.writing.take() {
            let (new, updated) = w
                .await
                .map_err(|e| ServiceError::Internal(format!("import write task: {e}")))??;
            self.imported += new + updated;
            self.updated += updated;
        }
        Ok(())
    }

    async fn flush(&mut self) -> ServiceResult<()> {
        self.wait_for_write().await?;
        let rows: Vec<RecordRow> = std::mem::take(&mut self.batch)
            .into_values()
            .map(RecordRow::from)
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        if self.dry_run {
            self.imported += rows.len() as u64;
            return Ok(());
        }
        let store = self.store.clone();
        let source = self.source.clone();
        let kind = self.kind;
        let now = self.now;
        self.writing = Some(tokio::spawn(async move {
            store
                .write_bulk(move |conn| {
                    boxed(async move {
                        let r = rstore::upsert(conn, &source, kind, &rows, now).await?;
                        Ok::<_, ServiceError>(r)
                    })
                })
                .await
        }));
        Ok(())
    }

    /// Writes what is left, records the source and audits the import.
    pub async fn finish(mut self) -> ServiceResult<pb::ImportRecordsReply> {
        self.flush().await?;
        self.wait_for_write().await?;
        if !self.dry_run {
            let source = self.source.clone();
            let now = self.now;
            let who = self.who.clone();
            let detail = format!(
                "{} records into {} ({}): {} imported ({} updated in place), {} rejected",
                self.kind,
                source.name,
                source.domain,
                self.imported,
                self.updated,
                self.rejected_count
            );
            let recorded = self
                .store
                .write(move |conn| {
                    boxed(async move {
                        let mut writes = Writes::new();
                        writes.push(rstore::upsert_source_write(&source, now));
                        audit::append_after(
                            conn,
                            writes,
                            now,
                            &who,
                            "records_import",
                            &format!("source {}", source.name),
                            &detail,
                        )
                        .await?;
                        Ok::<_, ServiceError>(())
                    })
                })
                .await;
            // Committed, or perhaps (an unknown outcome): read them again.
            self.store.record_sources_changed();
            recorded?;
        }
        self.rejected.sort_by_key(|r| r.line);
        Ok(pb::ImportRecordsReply {
            imported: self.imported,
            updated: self.updated,
            rejected_count: self.rejected_count,
            rejected: self.rejected,
            dry_run: self.dry_run,
        })
    }
}

fn check_query(q: &pb::SearchRecordsRequest) -> ServiceResult<Query> {
    if matching::serial_key(&q.serial).is_empty() {
        return Err(ServiceError::invalid(
            "serial",
            "a search needs the serial number (clause 6.1 d)",
        ));
    }
    Ok(Query {
        make: q.make.clone(),
        model: q.model.clone(),
        calibre: q.calibre.clone(),
        serial: q.serial.clone(),
    })
}

fn record_match(m: &search::RecordMatch) -> pb::RecordMatch {
    pb::RecordMatch {
        record: Some(m.record.view()),
        quality: m.quality.as_str().to_string(),
        reasons: m.reasons.clone(),
    }
}

impl Node {
    /// The domains `officer` may search (5.1).
    async fn officer_domains(&self, officer: &Officer) -> ServiceResult<Domains> {
        self.registry()
            .designation()
            .await?
            .domains_of(officer)
            .map_err(denied)
    }

    async fn audit_fact(
        &self,
        officer: &Officer,
        action: &str,
        subject: String,
        detail: String,
    ) -> ServiceResult<()> {
        let who = Actor::Officer(officer.clone()).to_string();
        let now = self.now();
        let action = action.to_string();
        self.store
            .write(move |conn| {
                boxed(async move {
                    audit::append(conn, now, &who, &action, &subject, &detail).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    /// Misread-tolerant search in the officer's domains; audited (facts).
    pub async fn search_records(
        &self,
        officer: &Officer,
        q: &pb::SearchRecordsRequest,
    ) -> ServiceResult<pb::SearchRecordsReply> {
        let domains = self.officer_domains(officer).await?;
        let query = check_query(q)?;
        let weapons = self.registry().search(&query, &domains).await?;
        let matches: Vec<pb::RecordMatch> = weapons
            .iter()
            .flat_map(|w| w.records.iter().map(record_match))
            .collect();
        self.audit_fact(
            officer,
            "records_search",
            "national records".into(),
            format!(
                "{} record(s) of {} weapon(s) matched in {}",
                matches.len(),
                weapons.len(),
                join_domains(&domains)
            ),
        )
        .await?;
        Ok(pb::SearchRecordsReply {
            matches,
            domains: domains_proto(&domains),
        })
    }

    /// The best-matching weapon's history from every domain the officer may
    /// search.
    pub async fn weapon_history(
        &self,
        officer: &Officer,
        q: &pb::SearchRecordsRequest,
    ) -> ServiceResult<pb::WeaponHistoryReply> {
        let domains = self.officer_domains(officer).await?;
        let query = check_query(q)?;
        let weapons = self.registry().search(&query, &domains).await?;
        let mut reply = pb::WeaponHistoryReply {
            domains: domains_proto(&domains),
            other_candidates: weapons.len().saturating_sub(1) as u32,
            ..Default::default()
        };
        if let Some(best) = weapons.first() {
            let h: History =
                history::assemble(best.records.iter().map(|r| r.record.clone()).collect());
            reply.make = best.make().to_string();
            reply.serial = best.serial().to_string();
            reply.quality = best.quality.as_str().to_string();
            reply.reasons = best.reasons.clone();
            reply.steps = h.steps.iter().map(step_view).collect();
            reply.end = h.end.as_ref().map(|e| e.describe()).unwrap_or_default();
        }
        self.audit_fact(
            officer,
            "records_history",
            "national records".into(),
            format!(
                "history of {} step(s) in {}",
                reply.steps.len(),
                join_domains(&domains)
            ),
        )
        .await?;
        Ok(reply)
    }

    /// 8.1: records the recovered weapon (7.5), determines what happened,
    /// opens a domestic investigation or drafts the international request.
    pub async fn trace_domestic(
        &self,
        officer: &Officer,
        recovered: pb::TraceRequest,
    ) -> ServiceResult<pb::TraceDomesticReply> {
        let domains = self.officer_domains(officer).await?;
        let own = self.registry().own_state()?;
        let (index, query) = weapon_query(&recovered)?;
        let weapons = self.registry().search(&query, &domains).await?;
        let determination = determine::determine(own, &recovered, &weapons);
        let now = self.now();
        let investigation = determination
            .opens_investigation()
            .then(|| CaseId::new_v7(now));
        let drafted = match determination.request_to() {
            Some(to) => Some(self.drafted_request(&recovered, &determination, to, now)?),
            None => None,
        };
        let row = RecoveredRow {
            id: TraceId::new_v7(now).to_string(),
            recorded_at: now,
            officer: Actor::Officer(officer.clone()).to_string(),
            recovered,
            determination: determination.name().to_string(),
            category: determination.category().map(|c| c.as_str().to_string()),
            investigation_case: investigation.map(|c| c.to_string()),
            drafted_trace: drafted.as_ref().map(|t| t.trace_id.to_string()),
        };
        let detail = domestic_fact(
            index,
            &domains,
            &determination,
            investigation,
            drafted.as_ref(),
        );
        let recovered_id = row.id.clone();
        let who = Actor::Officer(officer.clone());
        self.record_domestic_trace(who, row, drafted.clone(), detail, now)
            .await?;
        Ok(pb::TraceDomesticReply {
            recovered_id,
            determination: determination.name().to_string(),
            summary: determination.to_string(),
            summary_fact: Some(determination.fact()),
            evidence: determination
                .evidence()
                .iter()
                .map(|e| marked_value(e.what, &e.value))
                .collect(),
            investigation_case_id: investigation.map(|c| c.to_string()).unwrap_or_default(),
            drafted_trace_id: drafted
                .as_ref()
                .map(|t| t.trace_id.to_string())
                .unwrap_or_default(),
            drafted_to: drafted
                .as_ref()
                .map(|t| t.counterpart.to_string())
                .unwrap_or_default(),
            domains: domains_proto(&domains),
            matches: weapons
                .iter()
                .flat_map(|w| w.records.iter().map(record_match))
                .collect(),
        })
    }

    /// Stores the recovered weapon (7.5) with its determination, and the
    /// drafted request if one was drafted, in one write with its audit entry.
    async fn record_domestic_trace(
        &self,
        who: Actor,
        row: RecoveredRow,
        drafted: Option<traces::TraceRow>,
        detail: pb::Fact,
        now: OffsetDateTime,
    ) -> ServiceResult<()> {
        self.store
            .write(move |conn| {
                boxed(async move {
                    let mut writes = Writes::new();
                    writes.push(rstore::recovered_write(&row));
                    let Some(t) = &drafted else {
                        let subject = format!("recovered weapon {}", row.id);
                        let actor = who.to_string();
                        return audit::append_after(
                            conn,
                            writes,
                            now,
                            &actor,
                            "domestic_trace",
                            &subject,
                            &english(&detail),
                        )
                        .await
                        .map_err(ServiceError::from);
                    };
                    writes.push(traces::insert_write(t));
                    let kind = "drafted_from_domestic_trace";
                    record_event_after(conn, writes, t, kind, &who, detail, None, now).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await
    }

    /// The international request a domestic trace drafts (8.1 e): the
    /// recovered weapon's request, with the export record as the domestic
    /// finding that routes it (9.1 a), marked at least as that record's
    /// fields are.
    fn drafted_request(
        &self,
        recovered: &pb::TraceRequest,
        determination: &Determination,
        to: StateCode,
        now: OffsetDateTime,
    ) -> ServiceResult<traces::TraceRow> {
        let mut request = recovered.clone();
        if let Determination::LeftJurisdiction {
            export, marking, ..
        } = determination
        {
            let notes = request
                .domestic_findings
                .as_ref()
                .map(|f| f.notes.clone())
                .unwrap_or_default();
            request.domestic_findings = Some(pb::DomesticFindings {
                export_record: Some(export.clone()),
                notes,
            });
            let own = request
                .marking
                .as_ref()
                .and_then(|m| Marking::try_from(m).ok())
                .map(RecordMarking::new);
            let joined = match own {
                Some(o) => o.join(marking),
                None => marking.clone(),
            };
            request.marking = Some(joined.to_proto());
        }
        if let Ok(decision) = crate::routing::route(&request) {
            request.grounds = Some(crate::routing::grounds(&decision));
            request.requested_state = decision.state.to_string();
        }
        Ok(traces::TraceRow {
            trace_id: TraceId::new_v7(now),
            case_id: CaseId::new_v7(now),
            role: TraceRole::Requester,
            counterpart: ParticipantId::State(to),
            state: TraceState::Drafted,
            missing: completeness::check(&request),
            flags: crate::bounds::flags_of(&request),
            request: crate::policy::marked::Marked::new(
                request.clone(),
                crate::store::provenance::held_under(request.marking.as_ref()),
                crate::policy::marked::Source::us(),
            ),
            draft: None,
            awaiting: crate::case::role::Awaiting::Nothing,
            on_behalf_of: None,
            opened_at: now,
            received_at: None,
            due: Due::default(),
            updated_at: now,
        })
    }

    /// The national database of recovered weapons, with each one's progress.
    pub async fn list_recovered(&self, officer: &Officer) -> ServiceResult<pb::ListRecoveredReply> {
        self.officer_domains(officer).await?;
        let pool = self.store.pool();
        let mut weapons = Vec::new();
        for r in rstore::recovered(pool).await? {
            let progress = match r.drafted_trace.as_deref().and_then(|t| t.parse().ok()) {
                Some(t) => traces::head_from_pool(pool, t)
                    .await?
                    .map(|t| t.row().state.as_str().to_string())
                    .unwrap_or_default(),
                None if r.investigation_case.is_some() => "domestic investigation".into(),
                None => String::new(),
            };
            weapons.push(pb::RecoveredWeapon {
                recovered_id: r.id,
                recorded_at: Some(to_timestamp(r.recorded_at)),
                determination: r.determination,
                investigation_case_id: r.investigation_case.unwrap_or_default(),
                drafted_trace_id: r.drafted_trace.unwrap_or_default(),
                progress,
                officer: r.officer,
            });
        }
        Ok(pb::ListRecoveredReply { weapons })
    }

    /// The draft answer to a received request, as `officer` may see it;
    /// drafted now if none is stored.
    pub async fn response_draft(
        &self,
        officer: &Officer,
        trace: TraceId,
    ) -> ServiceResult<pb::DraftView> {
        let domains = self.officer_domains(officer).await?;
        let row = self.stored_draft(trace).await?;
        let mut view = row.draft;
        view.sent_at = row.sent_at.map(to_timestamp);
        self.audit_fact(
            officer,
            "draft_viewed",
            format!("trace {trace}"),
            format!(
                "answer drafted from records, viewed for {}",
                join_domains(&domains)
            ),
        )
        .await?;
        Ok(visible(view, &domains))
    }

    async fn stored_draft(&self, trace: TraceId) -> ServiceResult<DraftRow> {
        let pool = self.store.pool();
        if let Some(row) = rstore::draft(pool, &trace.to_string()).await? {
            return Ok(row);
        }
        self.registry().draft_answer_for(trace).await?;
        rstore::draft(pool, &trace.to_string())
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no answer can be drafted from records for trace {trace}: it is not a request \
                 received here, or this node holds no records"
                ))
            })
    }

    /// Confirms the officer's domains' findings; once every domain is
    /// confirmed, sends the drafted response (10.4) as the officer's act.
    pub async fn send_response_draft(
        &self,
        officer: &Officer,
        trace: TraceId,
        confirm_despite_declared: bool,
    ) -> ServiceResult<pb::SendResponseDraftReply> {
        let domains = self.officer_domains(officer).await?;
        let row = self.stored_draft(trace).await?;
        if row.sent_at.is_some() {
            return Err(ServiceError::FailedPrecondition(format!(
                "the drafted answer to trace {trace} was sent already"
            )));
        }
        let name = officer.name.clone();
        let id = trace.to_string();
        let mine = domains.clone();
        let confirmed = self
            .store
            .write(move |conn| {
                boxed(async move {
                    let mut row = rstore::draft_in(conn, &id)
                        .await?
                        .ok_or_else(|| ServiceError::NotFound(format!("no draft for {id}")))?;
                    for f in &mut row.draft.findings {
                        if f.confirmed_by.is_empty()
                            && Domain::from_proto(f.domain).is_some_and(|d| mine.contains(&d))
                        {
                            f.confirmed_by = name.clone();
                        }
                    }
                    row.draft.unconfirmed = row
                        .draft
                        .findings
                        .iter()
                        .filter(|f| f.confirmed_by.is_empty())
                        .map(|f| f.domain)
                        .collect();
                    rstore::draft_update_write(&row).execute(conn).await?;
                    Ok::<_, ServiceError>(row)
                })
            })
            .await?;
        let done: BTreeSet<i32> = confirmed
            .draft
            .findings
            .iter()
            .filter(|f| !f.confirmed_by.is_empty())
            .map(|f| f.domain)
            .collect();
        let mut reply = pb::SendResponseDraftReply {
            sent: None,
            confirmed: done.into_iter().collect(),
            unconfirmed: confirmed.draft.unconfirmed.clone(),
        };
        if !reply.unconfirmed.is_empty() {
            return Ok(reply);
        }
        let response =
            confirmed.draft.response.clone().ok_or_else(|| {
                ServiceError::Internal("a stored draft without its response".into())
            })?;
        let (envelope_id, trace_row, warnings) = self
            .act(
                officer,
                trace,
                Action::Respond(response),
                confirm_despite_declared,
            )
            .await?;
        let mut sent = confirmed;
        sent.sent_at = Some(self.now());
        sent.sent_by = Some(Actor::Officer(officer.clone()).to_string());
        self.store
            .write(move |conn| {
                boxed(async move {
                    rstore::draft_update_write(&sent).execute(conn).await?;
                    Ok::<_, ServiceError>(())
                })
            })
            .await?;
        reply.sent = Some(pb::ActReply {
            envelope_id: envelope_id.map(|e| e.to_string()).unwrap_or_default(),
            trace: Some(trace_row),
            warnings,
        });
        Ok(reply)
    }
}

fn join_domains(d: &Domains) -> String {
    if d.is_empty() {
        return "no domain".into();
    }
    d.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
}

/// The domains searched, as the history words them.
fn domains_arg(d: &Domains) -> pb::FactArg {
    if d.is_empty() {
        return word("domains", code("history-no-domain"));
    }
    let names = d.iter().map(|d| proto_code(d.to_proto().as_str_name()));
    words("domains", names.collect())
}

/// The history's fact of a domestic trace (8.1): what it determined, the
/// investigation it opened (8.1 d), the request it drafted (8.1 e).
fn domestic_fact(
    index: usize,
    domains: &Domains,
    determination: &Determination,
    investigation: Option<CaseId>,
    drafted: Option<&traces::TraceRow>,
) -> pb::Fact {
    let investigation = match investigation {
        Some(c) => word(
            "investigation",
            fact("history-domestic-investigation", [text("case", c)]),
        ),
        None => text("investigation", ""),
    };
    let drafted = match drafted {
        Some(t) => word(
            "drafted",
            fact(
                "history-domestic-drafted",
                [text("trace", t.trace_id), text("state", &t.counterpart)],
            ),
        ),
        None => text("drafted", ""),
    };
    let name = format!("determination-{}", determination.name().replace('_', "-"));
    fact(
        "history-domestic-trace",
        [
            text("item", index),
            domains_arg(domains),
            word("determination", code(&name)),
            investigation,
            drafted,
        ],
    )
}
