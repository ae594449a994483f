package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/server"
)

// writeTLS writes a CA and a certificate for 127.0.0.1 that it signed,
// PEM, into dir: ca.pem, cert.pem, key.pem.
func writeTLS(t *testing.T, dir string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	for name, block := range map[string]*pem.Block{
		"ca.pem": {Type: "CERTIFICATE", Bytes: caDER}, "cert.pem": {Type: "CERTIFICATE", Bytes: leafDER},
		"key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRun_fleetTLS: a fleet over TLS (rediss://) with an ACL user: with
// the CA trusted ($SSL_CERT_FILE) the node joins the fleet; without it,
// the certificate is refused and the node runs on its local rules, saying
// why; the password shows nowhere.
func TestRun_fleetTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	dir := t.TempDir()
	writeTLS(t, dir)
	tlsPort := strings.TrimPrefix(freeAddr(t), "127.0.0.1:")
	redis := testutil.StartRedis(t, "--tls-port", tlsPort, "--tls-cert-file", filepath.Join(dir, "cert.pem"),
		"--tls-key-file", filepath.Join(dir, "key.pem"), "--tls-ca-cert-file", filepath.Join(dir, "ca.pem"), "--tls-auth-clients", "no")
	const secret = "tls-s3cret-9921"
	redis.Do("ACL", "SETUSER", "shop", "on", ">"+secret, "~sentinel:{default}:*", "+@all") // the site of SENTINEL_REDIS_URL alone
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	exe := sentinelExe(t)
	for _, trusted := range []bool{true, false} {
		t.Run("trusted="+strconv.FormatBool(trusted), func(t *testing.T) {
			api := freeAddr(t)
			cmd := exec.Command(exe, "run", "--state-dir", t.TempDir(), "--listen", api, "--log-format", "json", logPath)
			cmd.Env = append(os.Environ(), "SENTINEL_REDIS_URL=rediss://shop:"+secret+"@127.0.0.1:"+tlsPort+"/0")
			if trusted {
				cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+filepath.Join(dir, "ca.pem"))
			} else {
				cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+filepath.Join(dir, "no-such-ca.pem"))
			}
			var logs testutil.SyncBuffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the password shows in the output:\n%s", logs.String())
				}
				if t.Failed() {
					t.Logf("output:\n%s", logs.String())
				}
			}()
			want := fleet.ModeFleet
			if !trusted {
				want = fleet.ModeLocal
			}
			var st server.Status
			deadline := time.Now().Add(10 * time.Second)
			for {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				var err error
				st, err = server.FetchStatus(ctx, api, "")
				cancel()
				if err == nil && st.Fleet != nil && st.Fleet.Mode == want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("status %+v, %v: want mode %s", st.Fleet, err, want)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if f := fmt.Sprintf("%+v", *st.Fleet); strings.Contains(f, secret) || !strings.Contains(st.Fleet.Redis, "rediss://shop:xxxxx@") {
				t.Errorf("status fleet = %s", f)
			}
			if !trusted && !strings.Contains(st.Fleet.Reason, "certificate") {
				t.Errorf("reason %q, want the certificate refused", st.Fleet.Reason)
			}
		})
	}
}
