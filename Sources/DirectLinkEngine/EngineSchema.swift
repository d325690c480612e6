import GRDB

/// Versioned schema migrations. A migration, once released, is never edited: add a new one.
enum EngineSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ledger") { db in
            try db.execute(sql: """
                CREATE TABLE accounts (
                    number TEXT PRIMARY KEY,
                    corporation TEXT,
                    name TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    status TEXT NOT NULL,
                    overdraft_minor INTEGER NOT NULL CHECK (overdraft_minor >= 0),
                    parent TEXT,
                    balance_minor INTEGER NOT NULL,
                    holds_minor INTEGER NOT NULL CHECK (holds_minor >= 0),
                    -- The overdraft invariant, checked again by SQLite on every write.
                    CHECK (kind = 'bankInternal' OR balance_minor - holds_minor >= -overdraft_minor)
                ) WITHOUT ROWID;

                CREATE TABLE payments (
                    id INTEGER PRIMARY KEY,
                    corporation TEXT NOT NULL,
                    serial TEXT,
                    kind TEXT NOT NULL,
                    batch_id INTEGER,
                    item_number INTEGER,
                    transaction_type TEXT NOT NULL,
                    operator_id TEXT NOT NULL,
                    access_channel TEXT NOT NULL,
                    debit_account TEXT NOT NULL,
                    credit_account TEXT NOT NULL,
                    payee_name TEXT NOT NULL,
                    payee_bank TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    requested_channel TEXT,
                    urgent INTEGER NOT NULL,
                    value_date TEXT,
                    memo TEXT NOT NULL,
                    content_digest TEXT,
                    order_digest TEXT NOT NULL,
                    channel TEXT,
                    status TEXT NOT NULL,
                    error_code INTEGER,
                    error_reason TEXT,
                    error_field TEXT,
                    error_rule TEXT,
                    error_headroom INTEGER,
                    hold_minor INTEGER NOT NULL,
                    limit_keys TEXT NOT NULL,
                    approval TEXT,
                    expires_at INTEGER,
                    accepted_date TEXT NOT NULL,
                    return_pending INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX payments_serial ON payments(corporation, serial) WHERE serial IS NOT NULL;
                CREATE INDEX payments_batch ON payments(batch_id) WHERE batch_id IS NOT NULL;
                CREATE INDEX payments_open ON payments(status, corporation)
                    WHERE status IN ('PENDING_APPROVAL', 'SCHEDULED', 'RELEASED') OR return_pending = 1;

                -- Postings and events are clustered by how they are read (an account's postings by
                -- date; a payment's events), so no secondary index is maintained on insert. Their
                -- ids are sequence numbers the writer assigns from `counters`, in commit order.
                CREATE TABLE postings (
                    account TEXT NOT NULL,
                    business_date TEXT NOT NULL,
                    id INTEGER NOT NULL,
                    payment_id INTEGER,
                    amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
                    currency TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    counterparty TEXT,
                    memo TEXT NOT NULL,
                    PRIMARY KEY (account, business_date, id)
                ) WITHOUT ROWID;

                CREATE TABLE payment_events (
                    payment_id INTEGER NOT NULL,
                    id INTEGER NOT NULL,
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    detail TEXT NOT NULL,
                    PRIMARY KEY (payment_id, id)
                ) WITHOUT ROWID;

                CREATE TABLE counters (
                    name TEXT PRIMARY KEY,
                    next_value INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO counters (name, next_value) VALUES ('posting', 1), ('event', 1);

                -- Non-payment commands (approve, reject, cancel): their serials share the
                -- corporation's serial space with payments.
                CREATE TABLE instructions (
                    corporation TEXT NOT NULL,
                    serial TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    operator_id TEXT NOT NULL,
                    payment_id INTEGER,
                    content TEXT NOT NULL,
                    order_digest TEXT,
                    message_digest TEXT,
                    certificate_fingerprint TEXT,
                    error_code INTEGER,
                    error_reason TEXT,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (corporation, serial)
                ) WITHOUT ROWID;

                CREATE TABLE limit_usage (
                    usage_key TEXT PRIMARY KEY,
                    amount_minor INTEGER NOT NULL,
                    count INTEGER NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE beneficiaries (
                    corporation TEXT NOT NULL,
                    account TEXT NOT NULL,
                    PRIMARY KEY (corporation, account)
                ) WITHOUT ROWID;

                CREATE TABLE approval_rules (
                    corporation TEXT PRIMARY KEY,
                    rules_json TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
