package alerts

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// gatedRoute is a route whose notifier holds a lone "busy" alert until
// open is closed, so that notifications wait in its queue behind it, and
// records the rest.
func gatedRoute(r *record) (Route, chan struct{}) {
	open := make(chan struct{})
	return Route{Name: "phone", Notifier: NotifierFunc(func(ctx context.Context, a alert.Alert) error {
		if a.Rule == "busy" {
			select {
			case <-open:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}
		return r.Notify(ctx, a)
	})}, open
}

// silenceFlood silences the rules of floodNotes' incident until until.
func silenceFlood(d *Dispatcher, until time.Time) {
	for _, rule := range []string{"signup-burst", "signup-spread", "traffic-spike"} {
		d.Silence(rule, until)
	}
}

// TestDispatcher_silenceAfterQueued: a silence set while a notification
// waits in a queue (behind a slow delivery) holds it back as one set
// before it was submitted. The page, silenced whole, is dropped; its
// resolution, of an incident the route never heard of, is not sent
// when the silence ends either.
func TestDispatcher_silenceAfterQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		var o outcomes
		route, open := gatedRoute(&r)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{route}, Outcome: o.add})
		stop := run(d)
		defer stop()
		first, res := floodNotes()
		d.Submit(firingAlert("busy"))
		d.Submit(first)
		synctest.Wait()
		silenceFlood(d, time.Now().Add(time.Hour))
		close(open)
		synctest.Wait()
		check(t, r.notes())
		if o.get(delivery.Silenced) != 1 || o.get(delivery.OK) != 1 {
			t.Errorf("outcomes %v, want the busy one delivered and the page silenced", o.m)
		}
		d.Submit(res)
		time.Sleep(time.Hour + releaseEvery)
		synctest.Wait()
		check(t, r.notes())
		if p := d.Pending(); len(p) != 0 {
			t.Errorf("Pending() = %v, want nothing", p)
		}
	})
}

// TestDispatcher_silenceAfterQueuedPartly: a silence of some of an
// incident's rules, set while its notification waits, leaves them out of
// it and says so.
func TestDispatcher_silenceAfterQueuedPartly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		route, open := gatedRoute(&r)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{route}, Silences: map[string]time.Time{"traffic-spike": time.Now().Add(time.Hour)}})
		stop := run(d)
		defer stop()
		first, _ := floodNotes()
		d.Submit(firingAlert("busy"))
		d.Submit(first)
		synctest.Wait()
		d.Silence("signup-spread", time.Now().Add(time.Hour))
		close(open)
		synctest.Wait()
		check(t, r.notes(), "firing u0 [signup-burst] silenced[signup-spread traffic-spike]")
	})
}

// TestDispatcher_silenceAfterQueuedResolution: a resolution waiting in
// the queue when its rules are all silenced waits for the silence to end,
// then goes out; it is saved with the state meanwhile.
func TestDispatcher_silenceAfterQueuedResolution(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		route, open := gatedRoute(&r)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{route}})
		stop := run(d)
		defer stop()
		first, res := floodNotes()
		d.Submit(first)
		synctest.Wait()
		d.Submit(firingAlert("busy"))
		d.Submit(res)
		synctest.Wait()
		silenceFlood(d, time.Now().Add(time.Hour))
		close(open)
		synctest.Wait()
		check(t, r.notes(), "firing u0 [signup-burst signup-spread traffic-spike]")
		if p := d.Pending(); len(p) != 1 || p[0].State != alert.Resolved {
			t.Errorf("Pending() = %v, want the held resolution", p)
		}
		time.Sleep(time.Hour + releaseEvery)
		synctest.Wait()
		check(t, r.notes(), "firing u0 [signup-burst signup-spread traffic-spike]", "resolved u1 [signup-burst signup-spread traffic-spike] quiet")
	})
}

// TestDispatcher_silenceAfterQueuedPassesFirst: a route's first
// notification of an incident, silenced whole while it waited, passes the
// page on: the incident's next notification in the queue (an update with
// a rule not silenced) pages in its stead; after the silence, the next
// notification of an incident whose page was dropped with nothing behind
// it pages too (a reminder here), as the first the route gets.
func TestDispatcher_silenceAfterQueuedPassesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		route, open := gatedRoute(&r)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{route}})
		stop := run(d)
		defer stop()
		g := NewGrouper(GroupOptions{RemindEvery: time.Hour, Overlap: overlaps([2]string{"a", "b"})})
		m := &meter{rules: []string{"a"}}
		g.Add(tr("a", alert.Firing, alert.Critical, 0))
		first := g.Due(t0.Add(10*time.Second), m.measure)
		g.Add(tr("b", alert.Firing, alert.Critical, 20))
		m.rules = []string{"a", "b"}
		update := g.Due(t0.Add(80*time.Second), m.measure)
		if len(first) != 1 || len(update) != 1 || update[0].Incident.Update != 1 {
			t.Fatalf("grouper: %v then %v, want the first and an update", first, update)
		}
		d.Submit(firingAlert("busy"))
		d.Submit(first[0])
		d.Submit(update[0])
		synctest.Wait()
		d.Silence("a", time.Now().Add(30*time.Minute))
		close(open)
		synctest.Wait()
		check(t, r.notes(), "firing u1 [b] new[b] silenced[a]")
		if got := r.all[0]; !pages(got) || NtfyPriority(got) != 5 {
			t.Errorf("the update in the page's stead: pages %v, ntfy priority %d; want it to page", pages(got), NtfyPriority(got))
		}

		// The same, the page dropped with nothing behind it.
		var r2 record
		route2, open2 := gatedRoute(&r2)
		d2 := NewDispatcher(DispatcherOptions{Routes: []Route{route2}})
		stop2 := run(d2)
		defer stop2()
		d2.Submit(firingAlert("busy"))
		d2.Submit(first[0])
		synctest.Wait()
		d2.Silence("a", time.Now().Add(30*time.Minute))
		close(open2)
		time.Sleep(time.Hour)
		synctest.Wait()
		reminder := g.Due(t0.Add(time.Hour+2*time.Minute), m.measure)
		if len(reminder) != 1 || reminder[0].Reminder != 1 {
			t.Fatalf("grouper: %v, want the reminder", reminder)
		}
		d2.Submit(reminder[0])
		synctest.Wait()
		check(t, r2.notes(), "firing u2 [a b] r1")
		if got := r2.all[0]; !pages(got) || NtfyPriority(got) != 5 || !got.Incident.Page {
			t.Errorf("the reminder, the route's first: pages %v, ntfy priority %d; want it to page", pages(got), NtfyPriority(got))
		}
	})
}

// TestDispatcher_silencedWhileRetrying: a notification waiting for a
// retry when its rules are all silenced is not tried again.
func TestDispatcher_silencedWhileRetrying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		var o outcomes
		d := NewDispatcher(DispatcherOptions{Outcome: o.add, MinBackoff: time.Minute, MaxBackoff: time.Minute, Routes: []Route{{Name: "phone",
			Notifier: NotifierFunc(func(_ context.Context, a alert.Alert) error { c.add(a); return errors.New("502 from the receiver") })}}})
		stop := run(d)
		defer stop()
		d.Submit(firingAlert("signup-burst"))
		synctest.Wait()
		d.Silence("signup-burst", time.Now().Add(time.Hour))
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if c.n() != 1 || o.get(delivery.Silenced) != 1 || o.get(delivery.Failed) != 0 {
			t.Errorf("%d attempts, outcomes %v; want the one attempt before the silence, then silenced", c.n(), o.m)
		}
		if s := d.Status(); s[0].Queued != 0 || s[0].Failure != "" {
			t.Errorf("status %+v, want nothing queued and no failure", s[0])
		}
	})
}

// TestDispatcher_drain: once Run's context ends, the delivery under way
// and the notifications queued go out within DrainTimeout; a notifier
// that does not answer by then is cut off, and what it did not take
// stays in Pending.
func TestDispatcher_drain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var slow, stuck calls
		d := NewDispatcher(DispatcherOptions{DrainTimeout: 5 * time.Second, Routes: []Route{
			{Name: "slow", Notifier: NotifierFunc(func(ctx context.Context, a alert.Alert) error {
				select {
				case <-time.After(time.Second):
					slow.add(a)
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})},
			{Name: "stuck", Notifier: NotifierFunc(func(ctx context.Context, a alert.Alert) error { <-ctx.Done(); stuck.add(a); return ctx.Err() })},
		}})
		stop := run(d)
		d.Submit(firingAlert("a"))
		d.Submit(firingAlert("b"))
		synctest.Wait()
		start := time.Now()
		stop()
		if took := time.Since(start); took != 5*time.Second {
			t.Errorf("Run returned %v after its context ended, want the drain's 5s (the stuck notifier)", took)
		}
		if slow.n() != 2 || stuck.n() != 1 {
			t.Errorf("slow delivered %d, stuck was cut off %d times; want both delivered, and one cut off", slow.n(), stuck.n())
		}
		if p := d.Pending(); len(p) != 2 {
			t.Errorf("Pending() = %d notifications, want the 2 the stuck notifier did not take", len(p))
		}
	})
}

// TestDispatcher_fullQueueKeepsThePage: a full queue that drops an
// incident's page (replaced by its newer state, here a quiet update)
// passes the page on: the update pages in its stead.
func TestDispatcher_fullQueueKeepsThePage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		route, open := gatedRoute(&r)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{route}, QueueSize: 1})
		stop := run(d)
		defer stop()
		g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"a", "b"})})
		m := &meter{rules: []string{"a"}}
		g.Add(tr("a", alert.Firing, alert.Critical, 0))
		first := g.Due(t0.Add(10*time.Second), m.measure)
		g.Add(tr("b", alert.Firing, alert.Warning, 20))
		m.rules = []string{"a", "b"}
		update := g.Due(t0.Add(80*time.Second), m.measure)
		if len(first) != 1 || len(update) != 1 || !update[0].Incident.Quiet {
			t.Fatalf("grouper: %v then %v, want the page and a quiet update", first, update)
		}
		d.Submit(firingAlert("busy"))
		synctest.Wait()
		d.Submit(first[0])
		d.Submit(update[0]) // the queue holds one: it replaces the page
		close(open)
		synctest.Wait()
		check(t, r.notes(), "firing u1 [a b] new[b]")
		if got := r.all[0]; !pages(got) {
			t.Errorf("the update in the dropped page's stead does not page: %+v", got.Incident)
		}
	})
}
