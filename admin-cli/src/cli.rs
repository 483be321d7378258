//! The command tree. Every command is documented in the README.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use iti_node::i18n::Lang;

use crate::client::{Connection, Print};
use crate::{admin, casework, files, photos, records};

#[derive(Parser, Debug)]
#[command(
    name = "itictl",
    version,
    about = "ITI Exchange: national CA, certificates and peering for admins; casework for points of contact (ISACS 05.31)"
)]
pub struct Cli {
    #[command(flatten)]
    pub conn: Connection,
    /// Print replies as JSON (protobuf JSON mapping) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The language of text output: en or fr. Default: the POSIX locale
    /// (LC_ALL, then LC_MESSAGES, then LANG: fr_FR.UTF-8 is French),
    /// English otherwise.
    #[arg(long, global = true, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The participant's own certificate authority (files).
    #[command(subcommand)]
    Ca(CaCommand),
    /// Node and officer certificates (files).
    #[command(subcommand)]
    Cert(CertCommand),
    /// Peer cards: export ours (file), pin another participant's (node).
    #[command(subcommand)]
    Peer(PeerCommand),
    /// The federation directory: show the cached entries, sign and publish ours.
    Directory {
        #[command(subcommand)]
        command: Option<DirectoryCommand>,
    },
    /// Trace requests: plan (no sending), submit, send a drafted follow-up.
    #[command(subcommand)]
    Request(RequestCommand),
    /// Traces where we are the requested state and still owe something.
    Inbox,
    /// Every trace on this node.
    Cases {
        /// Include closed traces.
        #[arg(long)]
        all: bool,
        /// Traces fetched per request (0: the node's default, 500; at most
        /// 1000). Every page is fetched; this only bounds each one.
        #[arg(long, default_value_t = 0, value_name = "N")]
        page_size: u32,
    },
    /// Cases: show one, with its chain timeline.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Acknowledge receipt of a request (10.1).
    Ack {
        trace: String,
        #[arg(long, default_value = "")]
        reference: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Answer a request (10.4) from a JSON file (protobuf JSON mapping of
    /// TraceResponse), or from the answer drafted from the records (--draft).
    Respond {
        trace: String,
        #[arg(long, required_unless_present = "draft", conflicts_with = "draft")]
        file: Option<PathBuf>,
        /// Show the answer drafted from the national records (8.3): each
        /// domain's findings, each value's marking and source.
        #[arg(long)]
        draft: bool,
        /// With --draft: confirm your domains' findings and, once every
        /// domain is confirmed, send the drafted response.
        #[arg(long, requires = "draft")]
        send: bool,
        /// With --draft: write the drafted response to this file, to edit
        /// and send with --file.
        #[arg(long, requires = "draft", conflicts_with = "send")]
        out: Option<PathBuf>,
        /// Send even though the response carries a restriction the requester
        /// declared it cannot honour (10.3).
        #[arg(long)]
        confirm_restrictions: bool,
    },
    /// Return an incomplete request for completion (10.2).
    Return {
        trace: String,
        /// Missing fields (JSON paths); default: those the node found.
        #[arg(long = "missing")]
        missing: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Resubmit a returned request, completed, from a JSON file.
    Resubmit {
        trace: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Delay the response (10.5.2) to a new date.
    Delay {
        trace: String,
        /// New response date: YYYY-MM-DD or RFC 3339.
        #[arg(long)]
        until: String,
        #[arg(long, value_enum)]
        reason: Reason,
        #[arg(long)]
        explanation: String,
    },
    /// Refuse to provide the information sought (10.5.2).
    Refuse {
        trace: String,
        #[arg(long, value_enum)]
        reason: Reason,
        #[arg(long)]
        explanation: String,
    },
    /// Ask for, or give, clarification (10.5.2).
    #[command(subcommand)]
    Clarify(ClarifyCommand),
    /// Grant or ask for consent to lift one restriction for one use (10.3).
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Close a trace we requested.
    Close {
        trace: String,
        #[arg(long)]
        outcome: String,
    },
    /// Pass a received response on to a third state, hub or UN panel.
    Forward {
        trace: String,
        /// "NGA", "hub:ECOWAS" or "panel:UNPOE-LBY".
        #[arg(long)]
        to: String,
        /// The response envelope id (default: the first response).
        #[arg(long, default_value = "")]
        regarding: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Export a trace's request and responses.
    Export {
        trace: String,
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
        /// For use as evidence in judicial proceedings.
        #[arg(long)]
        evidence: bool,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Acknowledgements and responses that are overdue, on both sides.
    Overdue,
    /// What is waiting to be sent, to whom, since when, and the last error.
    Outbox {
        /// Include what was delivered.
        #[arg(long)]
        all: bool,
        /// Envelopes fetched per request (0: the node's default, 500; at
        /// most 1000). Every page is fetched; this only bounds each one.
        #[arg(long, default_value_t = 0, value_name = "N")]
        page_size: u32,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// A clause 12 report.
    Report {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// Photographs (6.2.3) a message you may read references.
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// Hub operators: figures per member state.
    #[command(subcommand)]
    Hub(HubCommand),
    /// The broker's register of lost and stolen weapons.
    #[command(subcommand, name = "lost-stolen")]
    LostStolen(LostStolenCommand),
    /// The national records (clause 7): import, search, a weapon's history,
    /// the national database of recovered weapons.
    #[command(subcommand)]
    Records(RecordsCommand),
    /// Domestic tracing (8.1).
    #[command(subcommand)]
    Trace(TraceCommand),
    /// Who the node says we are.
    Whoami,
}

#[derive(Subcommand, Debug)]
pub enum CaCommand {
    /// Create the participant's own CA (cert.pem, key.pem) in DIR.
    Init {
        /// A state: ISO 3166-1 alpha-3 code.
        #[arg(long, conflicts_with = "participant")]
        state: Option<String>,
        /// Any participant: "GHA", "hub:ECOWAS", "panel:UNPOE-LBY".
        #[arg(long)]
        participant: Option<String>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 3650)]
        days: i64,
    },
}

#[derive(Args, Debug)]
pub struct Validity {
    /// Validity in days from now.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// Explicit start (RFC 3339), e.g. for testing expiry.
    #[arg(long)]
    pub not_before: Option<String>,
    /// Explicit end (RFC 3339).
    #[arg(long)]
    pub not_after: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum CertCommand {
    /// Issue a node certificate (with a sealing key) or an officer certificate.
    #[command(subcommand)]
    Issue(IssueCommand),
    /// Revoke a certificate: adds it to the CA's revocation list (crl.pem).
    Revoke {
        #[arg(long)]
        ca: PathBuf,
        /// The certificate to revoke.
        cert: PathBuf,
    },
    /// Show a certificate's identity, issuer, validity and usages.
    Show { cert: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum IssueCommand {
    /// The node's certificate (server and client authentication) and its
    /// sealing key.
    Node {
        /// The CA directory (cert.pem, key.pem).
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// A host name clients dial the node by (repeatable), so that stock
        /// gRPC clients (grpcurl, grpcio) can verify it. Default, when
        /// neither --dns nor --ip is given: localhost and 127.0.0.1.
        #[arg(long = "dns", value_name = "NAME")]
        dns: Vec<String>,
        /// An IP address clients dial the node at (repeatable).
        #[arg(long = "ip", value_name = "IP")]
        ip: Vec<std::net::IpAddr>,
        #[command(flatten)]
        validity: Validity,
    },
    /// An officer's certificate (client authentication) with a role.
    Officer {
        /// The officer's name (a-z, 0-9, . - _).
        name: String,
        #[arg(long, value_enum, default_value = "poc")]
        role: RoleArg,
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// A file holding the password of `officer.p12` (the certificate and
        /// key for the officer's browser). Default: a password is made and
        /// printed once, to give the officer by another channel.
        #[arg(long, value_name = "FILE")]
        p12_password_file: Option<PathBuf>,
        #[command(flatten)]
        validity: Validity,
    },
}

#[derive(Subcommand, Debug)]
pub enum PeerCommand {
    /// Write our peer card: participant, endpoint, CA (and sealing key).
    Export {
        /// The CA certificate (PEM) peers will pin.
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        endpoint: String,
        /// The node's sealing key file (its public half goes in the card).
        #[arg(long)]
        seal_key: Option<PathBuf>,
        /// For a hub: the participants it serves.
        #[arg(long, value_delimiter = ',')]
        serves: Vec<String>,
        /// The CA's revocation list (PEM), if any.
        #[arg(long)]
        crl: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Pin a participant's CA to that participant (admin).
    Add { card: PathBuf },
    /// The pinned peers.
    List,
    /// Confirm, as read out of band (over the phone), the CA fingerprint of
    /// a participant a hub introduced (admin): content that must be sealed
    /// goes to it from then on. Settles a conflict in favour of the CA held.
    Confirm {
        participant: String,
        /// SHA-256 of its CA certificate, as `itictl directory` shows it.
        fingerprint: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum DirectoryCommand {
    /// Show the cached directory.
    Show,
    /// Sign a directory entry (JSON: participant, endpoints, pointsOfContact,
    /// languages, serves) with the CA key (file). The CA, node certificate,
    /// next certificate and sealing key are filled in from files.
    Sign {
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        entry: PathBuf,
        /// The node certificate in use.
        #[arg(long)]
        node_cert: Option<PathBuf>,
        /// The next node certificate, announced in advance...
        #[arg(long, requires = "switch_over")]
        next_cert: Option<PathBuf>,
        /// ...and the time it takes over (RFC 3339).
        #[arg(long)]
        switch_over: Option<String>,
        /// The node's sealing key (its public half is published).
        #[arg(long)]
        seal_key: Option<PathBuf>,
        /// The CA's revocation list (PEM) to distribute.
        #[arg(long)]
        crl: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Publish a signed entry on our node (admin).
    Publish { file: PathBuf },
    /// Fetch the directory from every peer now (admin).
    Refresh,
}

#[derive(Args, Debug)]
pub struct OverrideArgs {
    /// Send to this state instead of the one routing (9.1) chooses.
    #[arg(long = "override", requires = "reason")]
    pub override_state: Option<String>,
    /// Why the routing is overridden (recorded).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum RequestCommand {
    /// Show the routing decision and its grounds, without sending.
    Plan {
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        routing: OverrideArgs,
    },
    /// Route, sign and send a request (JSON, protobuf JSON mapping of TraceRequest).
    Submit {
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        routing: OverrideArgs,
        /// Ask this hub to conduct the trace on our behalf (11.3.1).
        #[arg(long)]
        via: Option<String>,
        /// Send it even though an identical request (same requester
        /// reference and items) was already sent.
        #[arg(long)]
        allow_duplicate: bool,
    },
    /// Send a drafted trace (a proposed follow-up). Fields that came from
    /// another state go only where its markings (or its consent) allow:
    /// otherwise the node refuses, naming every rule in the way, unless
    /// asked to ask for consent or to send without them.
    Send {
        trace: String,
        #[command(flatten)]
        routing: OverrideArgs,
        /// Ask each provider for exactly the consent needed; the draft goes
        /// by itself once every consent is in.
        #[arg(
            long,
            requires = "justification",
            conflicts_with = "without_restricted"
        )]
        ask_consent: bool,
        /// Why the information is needed there (with --ask-consent).
        #[arg(long)]
        justification: Option<String>,
        /// Send it without the fields that may not go, if what remains is
        /// still a valid request.
        #[arg(long)]
        without_restricted: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// The whole case: traces, messages, history and the weapon's timeline.
    /// Of a request of more than 100 items, 100 are shown at a time.
    Show {
        id: String,
        /// Show each request's items from this one on (the first is 1).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        items: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClarifyCommand {
    Ask {
        trace: String,
        #[arg(long)]
        question: String,
        #[arg(long, default_value = "")]
        regarding: String,
    },
    Answer {
        trace: String,
        #[arg(long)]
        answer: String,
        #[arg(long, default_value = "")]
        regarding: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConsentCommand {
    /// As the provider of the information (10.3): permit one use of it,
    /// lifting the restrictions named and, for one destination (--to), the
    /// TLP level; or decline.
    Grant {
        trace: String,
        /// A restriction to lift (repeat for several).
        #[arg(long, value_enum)]
        restriction: Vec<RestrictionArg>,
        #[arg(long = "use", value_enum)]
        use_: UseArg,
        /// The one participant the use is for (needed to lift a TLP level).
        #[arg(long, default_value = "")]
        to: String,
        /// Lift the TLP level too, for --to only.
        #[arg(long, requires = "to")]
        lift_tlp: bool,
        /// The response (envelope id) it covers; default: all we provided.
        #[arg(long, default_value = "")]
        regarding: String,
        #[arg(long, default_value = "")]
        note: String,
        /// Decline the consent asked.
        #[arg(long)]
        decline: bool,
    },
    /// Ask the provider of the information for consent to one use.
    Request {
        trace: String,
        #[arg(long, value_enum)]
        restriction: Vec<RestrictionArg>,
        #[arg(long = "use", value_enum)]
        use_: UseArg,
        #[arg(long, default_value = "")]
        to: String,
        #[arg(long, requires = "to")]
        lift_tlp: bool,
        #[arg(long, default_value = "")]
        regarding: String,
        #[arg(long)]
        justification: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute the hash chain; name the first entry that breaks it.
    Verify,
    /// Show entries.
    Log {
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum PhotoCommand {
    /// Fetch a photograph by its SHA-256 (to standard output, or FILE).
    Get {
        hash: String,
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Store a photograph (JPEG, PNG, GIF or WebP, at most 20 MiB) on your
    /// node for a request to reference: prints the attachment to put in an
    /// item's "photographs" in the request file.
    Add { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum HubCommand {
    /// Requests relayed, pending and overdue, median times, per member.
    Stats,
}

#[derive(Subcommand, Debug)]
pub enum LostStolenCommand {
    /// Import reports from a CSV or JSON file.
    Import { file: PathBuf },
}

#[derive(Args, Debug)]
pub struct Identification {
    #[arg(long)]
    pub make: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub calibre: Option<String>,
    /// Read as it is engraved: misreadings (O/0, I/1, S/5, B/8, Z/2),
    /// lookalikes from other scripts and swapped neighbours are forgiven.
    #[arg(long)]
    pub serial: String,
}

#[derive(Subcommand, Debug)]
pub enum RecordsCommand {
    /// Import an agency's file (CSV with a header row, JSON array, or JSON
    /// Lines) with the source's column mapping. A record whose source key is
    /// held already is updated in place. Bad lines are named with their
    /// number and reason and write nothing; the good ones are imported.
    Import {
        /// The source: one agency's system ("police-armoury").
        #[arg(long)]
        source: String,
        /// manufacture, import, export, holding, transfer, loss or destruction.
        #[arg(long)]
        kind: String,
        /// The source's mapping (TOML: domain, [columns], [constants], [markings]).
        #[arg(long)]
        mapping: PathBuf,
        /// Check every line, write nothing.
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Search by identification in the domains you may search (5.1).
    Search(Identification),
    /// The history of the best-matching weapon, each step with its source.
    History(Identification),
    /// The national database of recovered weapons (7.5): each domestic
    /// trace, its determination and its progress.
    Recovered,
}

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Trace a recovered weapon in the domestic records (8.1): records it in
    /// the national database, states the determination with its evidence,
    /// opens a domestic investigation or drafts the international request.
    Domestic {
        /// The recovered weapon with its recovery context: a request as for
        /// `request submit` (JSON).
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Reason {
    /// 10.5.2 (a): ongoing investigation or confidentiality law.
    A,
    /// 10.5.2 (b): confidentiality cannot be guaranteed.
    B,
    /// 10.5.2 (c): national security.
    C,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    Poc,
    Investigator,
    Analyst,
    Auditor,
    Admin,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RestrictionArg {
    IntelligenceOnly,
    NoOnwardDisclosure,
    LawEnforcementOnly,
    ProprietaryCommercial,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum UseArg {
    ForwardToThirdState,
    ForwardToHub,
    ForwardToUnPanel,
    Export,
    ExportAsEvidence,
    Report,
}

/// `--lang`: a language itictl speaks, by its tag ("fr", "fr-BE", "fr_FR").
fn parse_lang(tag: &str) -> Result<Lang, String> {
    Lang::from_tag(tag).ok_or_else(|| {
        let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
        format!(
            "not a language itictl speaks (it speaks {})",
            known.join(", ")
        )
    })
}

pub async fn dispatch(cli: Cli, print: &Print, out: &mut dyn Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Ca(c) => files::ca(c, &print.texts, out),
        Command::Cert(c) => files::cert(c, &print.texts, out),
        Command::Peer(PeerCommand::Export {
            ca,
            endpoint,
            seal_key,
            serves,
            crl,
            out: path,
        }) => files::peer_export(
            &ca,
            &endpoint,
            seal_key.as_deref(),
            &serves,
            crl.as_deref(),
            &path,
            out,
        ),
        Command::Peer(PeerCommand::Add { card }) => {
            admin::peer_add(&cli.conn, &card, print, out).await
        }
        Command::Peer(PeerCommand::List) => admin::peer_list(&cli.conn, print, out).await,
        Command::Peer(PeerCommand::Confirm {
            participant,
            fingerprint,
        }) => admin::peer_confirm(&cli.conn, &participant, &fingerprint, print, out).await,
        Command::Directory { command } => match command {
            None | Some(DirectoryCommand::Show) => {
                admin::directory_show(&cli.conn, print, out).await
            }
            Some(DirectoryCommand::Sign {
                ca,
                entry,
                node_cert,
                next_cert,
                switch_over,
                seal_key,
                crl,
                out: path,
            }) => files::directory_sign(
                &files::EntryFiles {
                    ca_dir: &ca,
                    entry: &entry,
                    node_cert: node_cert.as_deref(),
                    next_cert: next_cert.as_deref(),
                    switch_over: switch_over.as_deref(),
                    seal_key: seal_key.as_deref(),
                    crl: crl.as_deref(),
                },
                &path,
                out,
            ),
            Some(DirectoryCommand::Publish { file }) => {
                admin::directory_publish(&cli.conn, &file, print, out).await
            }
            Some(DirectoryCommand::Refresh) => {
                admin::directory_refresh(&cli.conn, print, out).await
            }
        },
        Command::Hub(HubCommand::Stats) => admin::hub_stats(&cli.conn, print, out).await,
        Command::Photo(PhotoCommand::Get { hash, file }) => {
            photos::get(&cli.conn, &hash, file.as_deref(), &print.texts, out).await
        }
        Command::Photo(PhotoCommand::Add { file }) => {
            photos::add(&cli.conn, &file, print, out).await
        }
        Command::LostStolen(LostStolenCommand::Import { file }) => {
            admin::lost_stolen_import(&cli.conn, &file, print, out).await
        }
        Command::Whoami => admin::whoami(&cli.conn, print, out).await,
        Command::Records(c) => records_command(&cli.conn, c, print, out).await,
        Command::Trace(TraceCommand::Domestic { file }) => {
            records::trace_domestic(&cli.conn, &file, print, out).await
        }
        Command::Respond {
            trace,
            draft: true,
            send,
            out: out_file,
            confirm_restrictions,
            ..
        } => {
            records::respond_draft(
                &cli.conn,
                records::DraftArgs {
                    trace: &trace,
                    send,
                    out_file: out_file.as_deref(),
                    confirm_restrictions,
                },
                print,
                out,
            )
            .await
        }
        other => casework::run(&cli.conn, other, print, out).await,
    }
}

async fn records_command(
    conn: &Connection,
    c: RecordsCommand,
    print: &Print,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match c {
        RecordsCommand::Import {
            source,
            kind,
            mapping,
            dry_run,
            file,
        } => {
            records::import(
                conn,
                records::ImportArgs {
                    source: &source,
                    kind: &kind,
                    mapping: &mapping,
                    file: &file,
                    dry_run,
                },
                print,
                out,
            )
            .await
        }
        RecordsCommand::Search(i) => {
            records::search(conn, i.make, i.model, i.calibre, i.serial, print, out).await
        }
        RecordsCommand::History(i) => {
            records::history(conn, i.make, i.model, i.calibre, i.serial, print, out).await
        }
        RecordsCommand::Recovered => records::recovered(conn, print, out).await,
    }
}
