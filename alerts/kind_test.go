package alerts

import (
	"strings"
	"testing"
)

func TestRoutesFromEnv(t *testing.T) {
	env := map[string]string{
		EnvWebhookURL:      "http://127.0.0.1:1/hook?key=s3cret",
		EnvWebhookSecret:   "k",
		EnvNtfyURL:         "http://127.0.0.1:1/my-topic",
		EnvSlackWebhookURL: "http://127.0.0.1:1/services/T0/B0/XYZ",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	routes, err := RoutesFromEnv(lookup)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range routes {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "slack,webhook,ntfy" {
		t.Errorf("routes = %v", names)
	}
	env = map[string]string{EnvSMTPURL: "smtp://u:p4ss@127.0.0.1:587", EnvEmailFrom: "sentinel@example.com", EnvEmailTo: "a@example.com, b@example.com"}
	if routes, err := RoutesFromEnv(lookup); err != nil || len(routes) != 1 || routes[0].Name != "email" {
		t.Errorf("email: %v, %v", routes, err)
	}
	delete(env, EnvEmailTo)
	if _, err := RoutesFromEnv(lookup); err == nil || strings.Contains(err.Error(), "p4ss") {
		t.Errorf("email without To: %v", err)
	}
	env = map[string]string{EnvSlackToken: "xoxb-secret-token"}
	_, err = RoutesFromEnv(lookup)
	if err == nil || !strings.Contains(err.Error(), EnvSlackChannel) || strings.Contains(err.Error(), "xoxb-secret-token") {
		t.Errorf("token without channel: %v", err)
	}
	if routes, err := RoutesFromEnv(func(string) (string, bool) { return "", false }); err != nil || len(routes) != 0 {
		t.Errorf("empty environment: %v, %v", routes, err)
	}
}
