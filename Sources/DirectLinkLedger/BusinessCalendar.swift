/// Where time comes from. Injected so expiry, business days, HVPS windows, limit periods and
/// value dates are testable.
public protocol EngineClock: Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    func nowEpochSeconds() -> Int64
}

/// A calendar date in Asia/Shanghai (UTC+8 all year, no daylight saving).
public struct BusinessDate: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1970...9999).contains(year), (1...12).contains(month), (1...BusinessDate.daysIn(year: year, month: month)).contains(day) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` strictly.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The Shanghai date of an instant.
    public init(epochSeconds: Int64) {
        let localDays = (epochSeconds + ShanghaiTime.offsetSeconds).floorDivided(by: 86_400)
        self = BusinessDate(daysSinceEpoch: localDays)
    }

    public init(daysSinceEpoch: Int64) {
        // Howard Hinnant's civil_from_days.
        let z = daysSinceEpoch + 719_468
        let era = z.floorDivided(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        year = Int(y)
        month = Int(m)
        day = Int(d)
    }

    public var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y.floorDivided(by: 400)
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int { Int((daysSinceEpoch + 3).floorModulo(7)) + 1 }

    public func adding(days: Int) -> BusinessDate { BusinessDate(daysSinceEpoch: daysSinceEpoch + Int64(days)) }

    public static func < (lhs: BusinessDate, rhs: BusinessDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }

    /// Period keys for limits: `2026-11-25`, `2026-11`, `2026`.
    public var dayKey: String { description }
    public var monthKey: String { String(description.prefix(7)) }
    public var yearKey: String { String(year) }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = BusinessDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date: \(text)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public enum ShanghaiTime {
    public static let offsetSeconds: Int64 = 8 * 3600

    /// Minutes since local midnight in Shanghai.
    public static func minuteOfDay(epochSeconds: Int64) -> Int {
        Int((epochSeconds + offsetSeconds).floorModulo(86_400) / 60)
    }

    /// The instant of local midnight starting `date`.
    public static func startOfDay(_ date: BusinessDate) -> Int64 {
        date.daysSinceEpoch * 86_400 - offsetSeconds
    }
}

/// Which days banks and clearing systems work: weekdays, minus public holidays, plus the
/// weekend days declared working days (调休).
public struct BusinessCalendar: Sendable, Hashable, Codable {
    public var holidays: Set<BusinessDate>
    public var extraWorkingDays: Set<BusinessDate>

    public init(holidays: Set<BusinessDate> = [], extraWorkingDays: Set<BusinessDate> = []) {
        self.holidays = holidays
        self.extraWorkingDays = extraWorkingDays
    }

    public func isBusinessDay(_ date: BusinessDate) -> Bool {
        if extraWorkingDays.contains(date) { return true }
        if holidays.contains(date) { return false }
        return date.isoWeekday <= 5
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }

    func floorModulo(_ divisor: Int64) -> Int64 {
        let r = self % divisor
        return r < 0 ? r + divisor : r
    }
}
