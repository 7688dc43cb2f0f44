//! Child processes of a test, and waiting for what they do.

use std::process::Child;
use std::time::{Duration, Instant};

/// A child process stopped when dropped: SIGTERM, then SIGKILL after 20 seconds.
pub struct Proc(pub Child);

impl Proc {
    /// SIGTERM, and waits up to 20 seconds for the exit before SIGKILL.
    pub fn terminate(&mut self) {
        #[cfg(unix)]
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            libc_kill(self.0.id() as i32, 15);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// SIGKILL, as a crash.
    pub fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.terminate();
        }
    }
}

#[cfg(unix)]
unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// Calls `f` every 100 ms until it returns something; after `timeout` the test fails,
/// saying it was waiting for `what`.
pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Fails the test unless `program` is on PATH: a test that needs a real client
/// never passes without running it. `package` is the Debian package to install
/// (`./run-tests` installs every one the suite needs).
pub fn require(program: &str, package: &str) {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is required by this test and is not on PATH: run ./run-tests, which installs it, \
         or apt-get install {package}"
    );
}
