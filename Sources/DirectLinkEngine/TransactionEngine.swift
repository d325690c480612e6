import DirectLinkLedger
import Foundation
import GRDB

/// The clock the daemon uses: the machine's wall clock.
public struct SystemClock: EngineClock {
    public init() {}
    public func nowEpochSeconds() -> Int64 { Int64(Date().timeIntervalSince1970.rounded(.down)) }
}

/// The core transaction engine: commands in, results out; no XML, no sockets.
///
/// Every command that changes state goes through one writer that groups commands into shared
/// SQLite transactions (group commit) and returns each result only after its COMMIT. Queries
/// read committed state from WAL readers and never wait for the writer.
///
/// Results: business outcomes (a failed, rejected or conflicting payment) come back as a
/// `CommandResult` carrying an `EngineError`; a thrown error means the machine failed
/// (`storageFailure`) and the command may be resent with the same serial.
public final class TransactionEngine: Sendable {
    public let configuration: EngineConfiguration
    let pool: DatabasePool
    let writer: GroupCommitWriter
    let checkpointer: WALCheckpointer
    let clock: any EngineClock

    /// Opens (creating and migrating if needed) the database at `path`, applies the seed's
    /// accounts and approval rules that are not there yet, and starts the writer.
    /// `walBytesMax` is how long the WAL may grow before the writer rewinds it (`WALCheckpointer`).
    public static func open(path: String, configuration: EngineConfiguration, clock: any EngineClock = SystemClock(),
                            clearing: any ClearingSystem = ClearingSimulator(),
                            walBytesMax: Int = 16 << 20) throws -> TransactionEngine {
        try configuration.validate()
        guard walBytesMax >= 1 << 16, walBytesMax <= 1 << 36 else {
            throw ConfigurationError("walBytesMax must be between 64 KiB and 64 GiB (got \(walBytesMax))")
        }
        var config = Configuration()
        config.prepareDatabase { db in
            // Money: every commit reaches the disk before the caller hears of it (synchronous = FULL, which
            // `DurablePool` sets on the writer once GRDB has switched it to WAL).
            // SQLite's default page cache (2 MiB). A 64 MiB cache on the writer was measured to cost, not help: under the
            // daemon's load SQLite keeps emptying the writer's page cache (pcache1's truncate walked its whole hash,
            // ~20% of the writer thread's CPU), and `bench engine` ran no faster with it.
            // No automatic checkpoints on the writer: the commit that crossed the threshold made its whole group
            // wait for the copy (the daemon's p99). WALCheckpointer checkpoints from its own connection instead.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // When the writer rewinds the WAL, a file a burst made longer than this is cut back to it.
            try db.execute(sql: "PRAGMA journal_size_limit = \(4 * walBytesMax)")
        }
        config.publicStatementArguments = false
        // GRDB's default fails at once on a lock held by another connection. SQLite takes locks briefly on its own
        // (a connection that opens and recovers the WAL index; seen as 'database is locked' on BEGIN IMMEDIATE under
        // load): wait for those. A lock held for longer is still storageFailure, safe to resend.
        config.busyMode = .timeout(1)
        let pool = try DurablePool.open(path: path, configuration: config)
        try EngineSchema.migrator.migrate(pool)
        try pool.write { db in try db.execute(sql: TransactionEngine.responseJournalTable) }
        try pool.write { db in try EngineSeeder(configuration: configuration, now: clock.nowEpochSeconds()).apply(db) }
        return try TransactionEngine(configuration: configuration, pool: pool, path: path, walBytesMax: walBytesMax, clock: clock, clearing: clearing)
    }

    private init(configuration: EngineConfiguration, pool: DatabasePool, path: String, walBytesMax: Int, clock: any EngineClock,
                 clearing: any ClearingSystem) throws {
        self.configuration = configuration
        self.pool = pool
        self.clock = clock
        let state = LedgerWriter(configuration: configuration, clock: clock, clearing: clearing)
        let writer = GroupCommitWriter(pool: pool, state: state, commandsMax: configuration.bounds.groupCommitCommandsMax)
        self.writer = writer
        do {
            checkpointer = try WALCheckpointer(path: path, walBytesMax: walBytesMax) { writer.requestWALRewind() }
        } catch {
            writer.close()
            throw error
        }
    }

    /// Times the WAL was seen to start again from its beginning since open (the file stays bounded while this grows).
    public var walRewinds: Int { checkpointer.rewindCount }

    /// The writer connection's journal mode and synchronous level as SQLite reports them (`isDurable` when WAL + FULL).
    public func storageSettings() throws -> StorageSettings { try DurablePool.settings(pool) }

    /// Finishes queued commands and stops the writer. Further commands fail with `storageFailure`.
    /// Called again by `deinit`, so an engine that is simply dropped still stops its writer.
    public func close() {
        writer.close()
        checkpointer.close()
    }

    deinit {
        writer.close()
        checkpointer.close()
    }

    /// Transactions committed and commands they carried since open: commands ÷ transactions is
    /// the average group-commit size (for metrics; labels never carry serials or accounts).
    public var commitStatistics: (transactions: Int, commands: Int) { writer.statistics }

    // MARK: Commands

    /// Submits a single payment. Resending the same serial with the same content reports the
    /// original payment (`replayed`); with different content it is refused (`serialConflict`).
    public func submit(_ order: PaymentOrder) async throws -> CommandResult {
        try await writer.perform { state, db in try state.submit(order, db) }
    }

    /// Submits several payments at once; they share group-commit transactions and results
    /// come back in order.
    public func submit(_ orders: [PaymentOrder]) async throws -> [CommandResult] {
        try await writer.performAll(orders.map { order in { state, db in try state.submit(order, db) } })
    }

    /// Submits a payroll batch (代发): approved as a whole, executed and reported per item.
    public func submit(_ batch: BatchOrder) async throws -> CommandResult {
        try await writer.perform { state, db in try state.submit(batch, db) }
    }

    /// Approves or rejects a payment or batch pending approval.
    public func decide(_ command: ApprovalCommand) async throws -> CommandResult {
        try await writer.perform { state, db in try state.decide(command, db) }
    }

    /// Cancels a payment or batch that is pending approval or scheduled (not yet released).
    public func cancel(_ command: CancelCommand) async throws -> CommandResult {
        try await writer.perform { state, db in try state.cancel(command, db) }
    }

    /// Replaces a corporation's approval rules (its admin only: a role granting `ADMIN.RULES`).
    /// Refused with `requestInvalid` when a level needs more approvers than hold its role.
    public func defineApprovalRules(_ command: DefineApprovalRulesCommand) async throws -> EngineError? {
        try await writer.perform { state, db in try state.defineApprovalRules(command, db) }
    }

    /// The approval rules in force for a corporation.
    public func approvalRules(corporation: String) async throws -> [ApprovalRule] {
        try await read { db in
            guard let json = try String.fetchOne(db, sql: "SELECT rules_json FROM approval_rules WHERE corporation = ?", arguments: [corporation]) else {
                return []
            }
            return try JSONDecoder().decode([ApprovalRule].self, from: Data(json.utf8))
        }
    }

    /// A dry run: the checks a submission would make, without holding or consuming anything.
    public func preValidate(_ order: PaymentOrder) async throws -> PreValidation {
        try await writer.perform { state, db in try state.preValidate(order, db) }
    }

    /// Replaces the limit rules without a restart (the daemon's SIGHUP). Takes effect from the next group commit;
    /// usage consumed so far counts against the new rules with the same ids.
    public func reloadLimits(_ rules: [LimitRule]) async throws {
        try await writer.perform { state, _ in state.replaceLimits(rules) }
    }

    /// A dry run of a payroll batch: nothing is held, consumed or recorded.
    public func preValidate(_ batch: BatchOrder) async throws -> BatchPreValidation {
        try await writer.perform { state, db in try state.preValidate(batch, db) }
    }

    /// Time-driven work: expires unfinished approval flows, releases scheduled payments whose
    /// value date has come, and runs one clearing cycle. The daemon calls it periodically.
    public func runHousekeeping() async throws -> HousekeepingReport {
        try await writer.perform { state, db in try state.housekeeping(db) }
    }
}

/// What one housekeeping run did.
public struct HousekeepingReport: Sendable, Hashable {
    public var expired = 0
    public var releasedFromSchedule = 0
    public var settled = 0
    public var failed = 0
    public var returned = 0
    public init() {}
}
