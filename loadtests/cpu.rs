//! Where the CPU went during a run (Linux `/proc`): the server, the generator, PostgreSQL
//! and everything else on the machine. The machine is shared, so a report says how much
//! of it the server actually had.

use std::time::Instant;

/// CPU counters at one instant, in clock ticks.
#[derive(Debug, Clone, Copy)]
pub struct Meter {
    at: Instant,
    busy: u64,
    server: u64,
    generator: u64,
    postgres: u64,
    server_pid: Option<u32>,
}

/// Cores used on average between two snapshots.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub machine: f64,
    pub server: f64,
    pub generator: f64,
    pub postgres: f64,
    pub cores: usize,
}

impl Usage {
    pub fn text(&self) -> String {
        format!(
            "{:.1} of {} cores busy: server {:.2}, generator {:.2}, PostgreSQL {:.2}, \
             other processes {:.2}",
            self.machine,
            self.cores,
            self.server,
            self.generator,
            self.postgres,
            self.others()
        )
    }

    /// Cores busy with anything but the server, the generator and PostgreSQL.
    pub fn others(&self) -> f64 {
        (self.machine - self.server - self.generator - self.postgres).max(0.0)
    }
}

impl Meter {
    pub fn start(server_pid: Option<u32>) -> Meter {
        Meter {
            at: Instant::now(),
            busy: machine_busy(),
            server: server_pid.map_or(0, process_ticks),
            generator: process_ticks(std::process::id()),
            postgres: postgres_ticks(),
            server_pid,
        }
    }

    pub fn stop(&self) -> Usage {
        let later = Meter::start(self.server_pid);
        let seconds = later.at.duration_since(self.at).as_secs_f64().max(1e-3);
        let ticks = ticks_per_second() * seconds;
        let cores = |a: u64, b: u64| b.saturating_sub(a) as f64 / ticks;
        Usage {
            machine: cores(self.busy, later.busy),
            server: cores(self.server, later.server),
            generator: cores(self.generator, later.generator),
            postgres: cores(self.postgres, later.postgres),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Linux reports these counters in USER_HZ, 100 per second on every common build.
fn ticks_per_second() -> f64 {
    100.0
}

/// Busy ticks of all CPUs together (everything but idle and iowait).
fn machine_busy() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    total.saturating_sub(idle)
}

/// User plus system ticks of one process (all its threads).
fn process_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces; the fields after it are fixed.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3 of the line; utime and stime are fields 14 and 15.
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(11) + get(12)
}

/// Ticks of every process named `postgres`.
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .map(process_ticks)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_this_process() {
        let meter = Meter::start(None);
        let mut x = 0u64;
        for i in 0..30_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        let usage = meter.stop();
        assert!(usage.machine >= 0.0 && usage.generator >= 0.0);
        assert!(usage.text().contains("cores busy"));
    }
}
