import DirectLinkEngine
import DirectLinkLedger
import Foundation
import GRDB
import Testing

@Suite struct DurabilityTests {
    typealias F = EngineFixture

    /// GRDB's pool sets its writer to synchronous = NORMAL when it switches to WAL, after `prepareDatabase`: commits
    /// were then synced only at checkpoints. The writer must report FULL, and stay FULL after it has committed.
    @Test func theWriterSyncsEveryCommit() async throws {
        let fixture = try EngineFixture()
        let settings = try fixture.engine.storageSettings()
        #expect(settings.journalMode == "wal")
        #expect(settings.synchronous == 2)
        _ = try await fixture.engine.submit(try fixture.order("1.00", serial: "ERP-SYNC"))
        #expect(try fixture.engine.storageSettings().isDurable)
    }

    @Test func aTransactionThatCannotCommitAppliesNothingAndTheSerialCanBeResent() async throws {
        let fixture = try EngineFixture()
        let order = try fixture.order("100.00", serial: "ERP-BUSY")
        // Another process holds the write lock: the group's BEGIN IMMEDIATE fails.
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let intruder = try DatabaseQueue(path: fixture.path, configuration: unsafe)
        try await intruder.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
        await #expect {
            _ = try await fixture.engine.submit(order)
        } throws: { error in
            (error as? EngineError)?.code == .storageFailure
        }
        try await intruder.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        let resent = try await fixture.engine.submit(order)
        #expect(resent.status == .settled)
        #expect(!resent.replayed)
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 10_000)
        try await fixture.expectInvariants()
    }

    /// A lock held elsewhere beyond the busy timeout fails every command of the group (storageFailure, nothing
    /// applied) without retrying each alone; each one resent afterwards goes through once.
    @Test func aGroupBlockedByAnOutsideLockFailsWholeAndEveryCommandCanBeResent() async throws {
        let fixture = try EngineFixture()
        let orders = try (0..<6).map { try fixture.order("1.00", serial: "ERP-LOCKED-\($0)") }
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true
        let intruder = try DatabaseQueue(path: fixture.path, configuration: unsafe)
        try await intruder.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
        let engine = fixture.engine
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for order in orders {
                group.addTask {
                    do { _ = try await engine.submit(order); return true } catch { return (error as? EngineError)?.code != .storageFailure }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: false, count: 6), "every command fails with storageFailure while the lock is held")
        try await intruder.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        for order in orders { #expect(try await engine.submit(order).status == .settled) }
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 600)
        try await fixture.expectInvariants()
    }

    @Test func aCommandThatCannotBeWrittenFailsAloneNotWithItsGroup() async throws {
        let fixture = try EngineFixture()
        // Sabotage from outside: SQLite refuses one particular payment row.
        let outsider = try DatabaseQueue(path: fixture.path)
        try await outsider.write { db in
            try db.execute(sql: """
                CREATE TRIGGER poison BEFORE INSERT ON payments WHEN NEW.serial = 'POISON'
                BEGIN SELECT RAISE(ABORT, 'poisoned'); END
                """)
        }
        let orders = [try fixture.order("1.00", serial: "OK-1"), try fixture.order("2.00", serial: "POISON"), try fixture.order("3.00", serial: "OK-2")]
        await #expect(throws: EngineError.self) { _ = try await fixture.engine.submit(orders) }
        for serial in ["OK-1", "OK-2"] {
            #expect(try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial(serial)).status == .settled)
        }
        await #expect(throws: EngineError.self) {
            _ = try await fixture.engine.paymentStatus(corporation: "CORPA001", reference: .serial("POISON"))
        }
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 400)
        try await fixture.expectInvariants()
    }

    /// Under constant writes a background checkpoint never catches up with the writer, and SQLite only rewinds a WAL
    /// that has been copied entirely: without the writer's own checkpoint the file grew by every commit (1.1 GB after
    /// 50,000 payments in `bench load`). The checkpointer looks every 0.2 s, so the file is bounded by what the writer
    /// appends in that time plus the bound: 48,000 payments from 32 concurrent submitters (limit rules off, so that
    /// none is refused; ~2.7 KB of WAL each, over 120 MB in all), while a reader queries balances without pause
    /// (a reader can delay a rewind), must leave a file of a fraction of that, the WAL having started over several
    /// times, and the ledger whole.
    @Test func theWALIsRewoundUnderConstantLoadInsteadOfGrowing() async throws {
        let fixture = try EngineFixture(walBytesMax: 256 << 10) { $0.limits = [] }
        var orders: [PaymentOrder] = []
        for _ in 0..<48_000 { orders.append(try fixture.order("0.01")) }
        let engine = fixture.engine
        let reader = Task {
            var reads = 0
            while !Task.isCancelled {
                do {
                    _ = try await engine.balances(corporation: "CORPA001", accounts: [F.aBasic])
                } catch {
                    // The read in flight when the task is cancelled ends with an error; any other is a failure.
                    if Task.isCancelled { break }
                    throw error
                }
                reads += 1
            }
            return reads
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<32 {
                let mine = stride(from: lane, to: orders.count, by: 32).map { orders[$0] }
                group.addTask { for order in mine { _ = try await engine.submit(order) } }
            }
            try await group.waitForAll()
        }
        reader.cancel()
        #expect(try await reader.value > 100)
        let walBytes = try #require(try FileManager.default.attributesOfItem(atPath: fixture.path + "-wal")[.size] as? Int)
        #expect(engine.walRewinds >= 3)
        #expect(walBytes < 40 << 20, "WAL is \(walBytes) bytes after \(engine.walRewinds) rewinds")
        #expect(try await fixture.balance(F.aBasic, corporation: "CORPA001").balanceMinor == 1_000_000_000 - 48_000)
        try await fixture.expectInvariants()
    }

    @Test func schemaMigrationsAreVersionedAndReopeningIsHarmless() async throws {
        let fixture = try EngineFixture()
        _ = try await fixture.engine.submit(try fixture.order("1.00"))
        try fixture.reopen()
        try fixture.reopen()
        let intruder = try DatabaseQueue(path: fixture.path)
        let migrations = try await intruder.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrations == ["v1-ledger"])
        let mode = try await intruder.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // Seeding twice did not post opening balances twice.
        #expect(try await fixture.balance(F.bBasic, corporation: "CORPB001").balanceMinor == 300_000_000 + 100)
        try await fixture.expectInvariants()
    }
}
