//! A real SMTP server for a test: `scripts/smtp_sink.py` (aiosmtpd) on a free loopback
//! port, writing what it receives to a temporary folder (see the script for the files).
//! Its Python is `CITA_TEST_SMTP_PYTHON` (`.ci/run` makes it); without one the tests that
//! need it say so and pass over, except in CI, where they fail.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct SmtpSink {
    python: String,
    delay_ms: u64,
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// A running sink, or `None` (after saying why) when no Python with aiosmtpd is
    /// configured outside CI.
    pub fn start() -> Option<SmtpSink> {
        Self::start_slow(0)
    }

    /// A sink that answers each recipient `delay_ms` late (before any content).
    pub fn start_slow(delay_ms: u64) -> Option<SmtpSink> {
        let Ok(python) = std::env::var("CITA_TEST_SMTP_PYTHON") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CITA_TEST_SMTP_PYTHON must name a Python with aiosmtpd in CI"
            );
            eprintln!("skipped: CITA_TEST_SMTP_PYTHON is not set (see scripts/smtp-sink-env.sh)");
            return None;
        };
        let dir = tempfile::tempdir().expect("a folder for the mail");
        let mut sink = SmtpSink {
            python,
            delay_ms,
            child: None,
            port: 0,
            dir,
        };
        sink.launch();
        Some(sink)
    }

    fn launch(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/smtp_sink.py");
        let mut command = Command::new(&self.python);
        command
            .arg(script)
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if self.delay_ms != 0 {
            command.arg("--delay-ms").arg(self.delay_ms.to_string());
        }
        if self.port != 0 {
            command.arg("--port").arg(self.port.to_string());
        }
        let mut child = command.spawn().expect("start the SMTP sink");
        let stdout = child.stdout.take().expect("the sink's output");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the sink's port");
        self.port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the sink said {line:?}"));
        self.child = Some(child);
    }

    /// `smtp://127.0.0.1:<port>` (no TLS on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (the port refuses connections until [`SmtpSink::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Every message received so far (the script's JSON summaries), oldest first.
    pub fn messages(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read the mail folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("a message")).expect("JSON"))
            .collect()
    }

    /// The raw bytes of every message received so far.
    pub fn raw_messages(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read the mail folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("a message")).into_owned())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The text of a message's part of `content_type`.
pub fn part(message: &Value, content_type: &str) -> String {
    message["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["content_type"] == content_type)
        .and_then(|p| p["body"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part in {message}"))
        .to_owned()
}
