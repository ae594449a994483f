package parsers_test

import (
	"fmt"

	"github.com/sentinel-dev/sentinel/parsers"
)

func ExampleNewJSONPreset() {
	j, err := parsers.NewJSONPreset("caddy", parsers.Options{})
	if err != nil {
		panic(err)
	}
	line := `caddy  | {"level":"info","ts":1693840791.7564995,"logger":"http.log.access","request":{"client_ip":"127.0.0.1","method":"GET","uri":"/login?next=%2F","headers":{"User-Agent":["curl/7.74.0"]}},"duration":0.0017,"size":0,"status":302}`
	err = j.Decode([]byte(line), func(ev *parsers.Event) {
		fmt.Println(ev.Time.Format("2006-01-02T15:04:05.0000000Z07:00"), string(ev.ClientIP), string(ev.Method), string(ev.Path), ev.Status, string(ev.UserAgent), ev.Duration)
	})
	fmt.Println(err)
	// Output:
	// 2023-09-04T15:19:51.7564995Z 127.0.0.1 GET /login 302 curl/7.74.0 1.7ms
	// <nil>
}

func ExampleNewLogfmtPreset() {
	l, err := parsers.NewLogfmtPreset("heroku", parsers.Options{})
	if err != nil {
		panic(err)
	}
	line := `2017-01-13T02:37:11.213639+00:00 heroku[router]: at=info method=POST path="/users/register" fwd="1.2.3.4,71.244.130.75" dyno=web.1 connect=1ms service=24ms status=200 bytes=2981`
	_ = l.Decode([]byte(line), func(ev *parsers.Event) {
		dyno, _ := ev.Lookup("dyno")
		fmt.Println(ev.Time.Format("15:04:05.000000"), string(ev.ClientIP), string(ev.Method), string(ev.Path), ev.Status, ev.Duration, string(dyno))
	})
	// Output:
	// 02:37:11.213639 71.244.130.75 POST /users/register 200 24ms web.1
}

func ExampleNewJSON() {
	// An ECS application log, with both flattened and nested keys.
	j, err := parsers.NewJSON(parsers.Options{Fields: map[string]string{
		"level":   "log.level",
		"message": "message",
		"logger":  "log.logger",
	}})
	if err != nil {
		panic(err)
	}
	line := `{"@timestamp":"2025-01-13T09:58:13.632Z","log.level":"info","message":"user registered","log":{"logger":"app"}}`
	_ = j.Decode([]byte(line), func(ev *parsers.Event) {
		logger, _ := ev.Lookup("logger")
		fmt.Println(ev.Kind, ev.Time.Format("15:04:05.000"), string(ev.Level), string(ev.Message), string(logger))
	})
	// Output:
	// message 09:58:13.632 info user registered app
}
