// Package webtest drives pixmill's web app in a real browser: Debian's
// Chromium, headless, controlled through the DevTools protocol by chromedp,
// against the real local stack that `pixmill up` starts (gateway, embedded
// queue, file bucket, separate worker processes).
//
// scripts/install-chromium.sh installs the browser (`make test` runs it).
// Without it the tests are skipped on a developer's machine and fail in CI,
// where it must be. They leave screenshots of each screen in
// .cache/screenshots (build artefacts), or in PIXMILL_SCREENSHOTS: `make
// screenshots` refreshes docs/screenshots, which the README shows.
package webtest
