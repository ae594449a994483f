// Package links lets a person act on an alert from a phone: every
// notification carries signed, expiring, single-use links — silence the
// incident's rules for an hour, run an action now (also one in dry run or
// cooling down), revert a remedy that is on, stop the reminders — served
// by a public listener meant to sit behind the user's TLS proxy, separate
// from the loopback admin API.
//
// A link is a capability: a [Token] naming the verb, what it acts on, the
// incident it was sent for, the notifier it was sent to and its expiry,
// signed with HMAC-SHA256 under a key kept in the state directory
// ([Keyring]: 0600, created on first use, rotated by `sentinel links
// rotate-key` or by deleting it, which refuses every link signed before)
// and bound to the site's name. Signatures are compared in constant time.
//
// GET shows a confirmation page: what will happen, the incident's
// headline, site and values, who else acted. Only that page's form,
// posted with a form token bound to the link, acts, so link previewers,
// mail scanners and prefetches that GET a link — or follow its buttons
// with GET — never act; known previewers get a page with no detail and no
// form. A link acts once: its nonce is recorded in a bounded list saved
// before the act ([Nonces]), across restarts. Every request is
// rate-limited per client address, audited in links.jsonl ([Audit]) with
// its outcome and reason, counted in the metrics, and a link used is
// announced back where it was sent.
//
// The package never acts by itself: a [Backend] (the daemon) says what a
// link would do ([Backend.Plan]) and does it ([Backend.Act]). Pages are
// self-contained (no script, no external asset; a Content-Security-Policy
// allows nothing else), work without JavaScript on a phone, and escape
// every value; a page never shows a token, a key or a secret.
package links
