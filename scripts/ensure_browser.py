"""Browser tests need Debian's chromium and chromium-driver. In CI (CI=true) they are installed
with apt-get when missing; on a developer laptop without them the browser tests skip with a
clear message (never in CI: tests/conftest.py turns that skip into a failure)."""
import os
import shutil
import subprocess
import sys


def main() -> int:
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return 0
    if os.environ.get("CI") != "true" and os.geteuid() != 0:
        print("chromium/chromedriver not found: browser tests will be skipped (apt-get install chromium chromium-driver).")
        return 0
    print("Installing chromium and chromium-driver with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], env=env)
    if result.returncode != 0 and os.environ.get("CI") == "true":
        print("Could not install chromium in CI.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
