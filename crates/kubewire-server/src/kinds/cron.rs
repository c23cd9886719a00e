//! A CronJob's `schedule` read as kube-apiserver reads it: with
//! robfig/cron v3's `ParseStandard` (five fields, or a `@` descriptor),
//! whose error text becomes the cause's detail
//! (`expected exactly 5 fields, found 1: [hourly]`,
//! `end of range (60) above maximum (59): 60`), then Kubernetes' own rule
//! against time zones in the schedule. Only acceptance and the error are
//! needed: no schedule is ever computed from it.

/// One field's bounds and names (months, weekdays).
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];
const DAYS: &[(&str, u32)] = &[
    ("sun", 0),
    ("mon", 1),
    ("tue", 2),
    ("wed", 3),
    ("thu", 4),
    ("fri", 5),
    ("sat", 6),
];

/// Minute, hour, day of month, month, day of week.
const FIELDS: [Bounds; 5] = [
    Bounds {
        min: 0,
        max: 59,
        names: &[],
    },
    Bounds {
        min: 0,
        max: 23,
        names: &[],
    },
    Bounds {
        min: 1,
        max: 31,
        names: &[],
    },
    Bounds {
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Bounds {
        min: 0,
        max: 6,
        names: DAYS,
    },
];

const DESCRIPTORS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// The schedule's problems, as `validateScheduleFormat` words them.
pub fn schedule_errors(schedule: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if let Err(e) = parse_standard(schedule) {
        errs.push(e);
    }
    if schedule.contains("TZ") {
        errs.push("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".into());
    }
    errs
}

/// robfig/cron v3 `ParseStandard`'s acceptance and error.
fn parse_standard(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        // The location itself is not checked here: Kubernetes refuses a
        // TZ in the schedule anyway ([`schedule_errors`]).
        let i = spec.find(' ').unwrap_or(spec.len());
        spec = spec[i..].trim();
    }
    if spec.starts_with('@') {
        return descriptor(spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    for (f, b) in fields.iter().zip(FIELDS.iter()) {
        for expr in f.split(',') {
            range(expr, b)?;
        }
    }
    Ok(())
}

fn descriptor(spec: &str) -> Result<(), String> {
    if DESCRIPTORS.contains(&spec) {
        return Ok(());
    }
    if let Some(d) = spec.strip_prefix("@every ") {
        return go_duration(d).map_err(|e| format!("failed to parse duration {spec}: {e}"));
    }
    Err(format!("unrecognized descriptor: {spec}"))
}

/// Go's `time.ParseDuration` acceptance (`1h30m`, `90s`, `1.5h`).
fn go_duration(s: &str) -> Result<(), String> {
    let err = || format!("time: invalid duration {}", crate::validate::go_quote(s));
    let mut rest = s.strip_prefix(['+', '-']).unwrap_or(s);
    if rest == "0" {
        return Ok(());
    }
    if rest.is_empty() {
        return Err(err());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(err());
        }
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        match &rest[..unit] {
            "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h" => {}
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    crate::validate::go_quote(s)
                ))
            }
            u => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    crate::validate::go_quote(u),
                    crate::validate::go_quote(s)
                ))
            }
        }
        rest = &rest[unit..];
    }
    Ok(())
}

/// robfig's `getRange`: `*`, `?`, `N`, `N-M`, each with `/step`.
fn range(expr: &str, b: &Bounds) -> Result<(), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end);
    if low_high[0] == "*" || low_high[0] == "?" {
        start = b.min;
        end = b.max;
    } else {
        start = int_or_name(low_high[0], b)?;
        end = match low_high.len() {
            1 => start,
            2 => int_or_name(low_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_int(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if single {
                end = b.max;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(())
}

fn int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_lowercase();
    if let Some((_, n)) = b.names.iter().find(|(name, _)| *name == lower) {
        return Ok(*n);
    }
    parse_int(expr)
}

/// robfig's `mustParseInt`: Go's `strconv.Atoi`, then not negative.
fn parse_int(expr: &str) -> Result<u32, String> {
    let q = crate::validate::go_quote(expr);
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing {q}: invalid syntax"
        ));
    }
    let Ok(n) = expr.parse::<i64>() else {
        return Err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing {q}: value out of range"
        ));
    };
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    // Larger than any bound: reported by the range check.
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_as_robfig_cron_reads_them() {
        for ok in [
            "* * * * *",
            "*/5 * * * *",
            "0 0 1 jan mon",
            "0 9-17/2 * * MON-FRI",
            "15,45 * ? * *",
            "@hourly",
            "@every 1h30m",
            "5/15 * * * *",
        ] {
            assert_eq!(parse_standard(ok), Ok(()), "{ok}");
        }
        let cases = [
            ("hourly", "expected exactly 5 fields, found 1: [hourly]"),
            (
                "* * * * * *",
                "expected exactly 5 fields, found 6: [* * * * * *]",
            ),
            ("60 * * * *", "end of range (60) above maximum (59): 60"),
            ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
            (
                "5-1 * * * *",
                "beginning of range (5) beyond end of range (1): 5-1",
            ),
            (
                "*/0 * * * *",
                "step of range should be a positive number: */0",
            ),
            ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
            ("*/2/3 * * * *", "too many slashes: */2/3"),
            (
                "x * * * *",
                "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax",
            ),
            (
                "* * * foo *",
                "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax",
            ),
            ("@often", "unrecognized descriptor: @often"),
            (
                "@every soon",
                "failed to parse duration @every soon: time: invalid duration \"soon\"",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_standard(spec).unwrap_err(), want, "{spec}");
        }
        assert_eq!(
            schedule_errors("TZ=UTC * * * * * *"),
            [
                "expected exactly 5 fields, found 6: [* * * * * *]",
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            ]
        );
        assert_eq!(
            schedule_errors("CRON_TZ=UTC 0 3 * * *"),
            ["cannot use TZ or CRON_TZ in schedule, use timeZone field instead"]
        );
    }
}
