//! `stockroom create-admin` typed at a terminal: a pseudo-terminal (python3's `pty` module)
//! stands in for the operator, so the prompt, the echo and the confirmation are what a person
//! sees.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{TestApp, binary_command, mongo_url, unique_email};

/// `python3 -c TERMINAL PROGRAM ARGS... -- ANSWERS...` runs the program on a new
/// pseudo-terminal, answers each prompt (new output ending in ": ", or 15 s of silence) with
/// the next answer, and prints what the terminal showed, how many prompts it saw and the exit
/// status, as JSON. Like a person, it types after the prompt, once the program is reading
/// (a program that turns echo off does so right after its prompt; give it 5 s).
const TERMINAL: &str = r#"
import json, os, pty, select, sys, termios, time

split = sys.argv.index("--")
program, answers = sys.argv[1:split], sys.argv[split + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(program[0], program)

shown, prompts = b"", 0

def read(deadline, until_prompt):
    global shown
    start = len(shown)
    end = time.time() + deadline
    while time.time() < end:
        if until_prompt and shown[start:].endswith(b": "):
            return True
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    return False

def wait_for_echo_off(deadline):
    end = time.time() + deadline
    while time.time() < end and termios.tcgetattr(fd)[3] & termios.ECHO:
        time.sleep(0.01)

for answer in answers:
    prompts += read(15, True)
    wait_for_echo_off(5)
    os.write(fd, answer.encode() + b"\n")
read(60, False)
_, status = os.waitpid(pid, 0)
print(json.dumps({
    "shown": shown.decode(errors="replace"),
    "prompts": prompts,
    "status": os.waitstatus_to_exitcode(status),
}))
"#;

/// `create-admin --email EMAIL` on `app`'s stores, typing `answers` at the terminal.
fn create_admin_at_a_terminal(app: &TestApp, email: &str, answers: [&str; 2]) -> Value {
    let binary = binary_command(&app.db.url, &mongo_url(), &app.mongo.name);
    let mut python = Command::new("python3");
    python.env_clear().current_dir(std::env::temp_dir());
    for (name, value) in binary.get_envs() {
        if let Some(value) = value {
            python.env(name, value);
        }
    }
    let output = python
        .arg("-c")
        .arg(TERMINAL)
        .arg(binary.get_program())
        .args(["create-admin", "--email", email, "--"])
        .args(answers)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the driver's report")
}

#[tokio::test(flavor = "multi_thread")]
async fn at_a_terminal_the_password_is_asked_twice_and_never_shown() {
    let app = TestApp::spawn().await;
    let email = unique_email("typed-admin");
    let password = "typed at the terminal 42";
    let report = create_admin_at_a_terminal(&app, &email, [password, password]);
    let shown = report["shown"].as_str().unwrap();
    assert_eq!(report["prompts"], 2, "two prompts: {shown}");
    assert_eq!(report["status"], 0, "{shown}");
    assert!(shown.contains("created admin"), "{shown}");
    assert!(
        !shown.contains(password),
        "the password was echoed: {shown}"
    );
    assert_eq!(app.login(&email, password).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn at_a_terminal_two_different_passwords_change_nothing() {
    let app = TestApp::spawn().await;
    let email = unique_email("mistyped-admin");
    let report = create_admin_at_a_terminal(
        &app,
        &email,
        ["typed at the terminal 42", "typed at the terminal 43"],
    );
    let shown = report["shown"].as_str().unwrap();
    assert_ne!(report["status"], 0, "{shown}");
    assert!(shown.contains("do not match"), "{shown}");
    assert!(!shown.contains("typed at the terminal"), "{shown}");
    assert_eq!(
        app.login(&email, "typed at the terminal 42").await.status(),
        401,
        "no account was created"
    );
}
