package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/weirsql/weir/internal/syncbuf"
)

func TestSASLPlainAndScram(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "bids"), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "alice", "secret"), kfake.Superuser("SCRAM-SHA-256", "bob", "pw"),
		kfake.Superuser("SCRAM-SHA-512", "carol", "pw2"))
	cl := client(t, addr, kgo.SASL(plain.Auth{User: "alice", Pass: "secret"}.AsMechanism()))
	produce(t, cl, rec("bids", 0, "", bidJSON(1, 2, 3)))
	mem := checkedMem(t)
	for _, kv := range [][]string{
		{"properties.security.protocol", "SASL_PLAINTEXT", "properties.sasl.mechanism", "PLAIN",
			"properties.sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="secret";`},
		{"properties.security.protocol", "SASL_PLAINTEXT", "properties.sasl.mechanism", "SCRAM-SHA-256",
			"properties.sasl.username", "bob", "properties.sasl.password", "pw"},
		{"properties.security.protocol", "SASL_PLAINTEXT", "properties.sasl.mechanism", "SCRAM-SHA-512",
			"properties.sasl.jaas.config", `org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="pw2";`},
	} {
		kv = append(kv, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset")
		cfg := sourceConfig(mem, bidSchema, addr, kv...)
		cfg.Projection = []int{0}
		s := openSource(t, cfg, io.Discard)
		if got := readRows(t, s, -1); !reflect.DeepEqual(got, []string{"1"}) {
			t.Errorf("%s: %v", kv[3], got)
		}
		s.Close()
	}
	// A wrong password: kfake drops the connection (a real broker answers
	// SASL_AUTHENTICATION_FAILED, which is final, see TestRetriable), so
	// the source reports it and keeps trying until it is stopped.
	notes := &syncbuf.Buffer{}
	s, err := newSource(sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json",
		"properties.security.protocol", "SASL_PLAINTEXT", "properties.sasl.username", "alice", "properties.sasl.password", "nope"), notes)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Open(ctx) }()
	waitFor(t, "a notice", func() bool { return notes.String() != "" })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("open with a wrong password, cancelled: %v", err)
	}
}

func TestRetriable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{kerr.SaslAuthenticationFailed, false},
		{fmt.Errorf("list partitions: %w", kerr.TopicAuthorizationFailed), false},
		{kerr.NotLeaderForPartition, true},
		{kerr.CoordinatorLoadInProgress, true},
		{kerr.ConcurrentTransactions, true},
		{io.EOF, true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{x509.UnknownAuthorityError{}, false},
		{fmt.Errorf("x: %w", ErrUnknownTopic), false},
		{kgo.ErrClientClosed, false},
		{context.Canceled, false},
		{context.DeadlineExceeded, true},
	} {
		if got := retriable(tc.err); got != tc.want {
			t.Errorf("retriable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// tlsFiles makes a CA and a server certificate for the given names, and
// writes the CA's PEM to a file.
func tlsFiles(t *testing.T, dns string) (*tls.Config, string) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, srvKey := key(), key()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weir test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if dns == "" {
		srv.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		srv.DNSNames = []string{dns}
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}}, path
}

func TestTLS(t *testing.T) {
	srvCfg, caFile := tlsFiles(t, "")
	_, addr := cluster(t, kfake.SeedTopics(1, "bids"), kfake.TLS(srvCfg))
	pool := x509.NewCertPool()
	b, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(b)
	cl := client(t, addr, kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
	produce(t, cl, rec("bids", 0, "", bidJSON(1, 2, 3)))
	mem := checkedMem(t)
	cfg := sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset",
		"properties.security.protocol", "SSL", "properties.ssl.truststore.location", caFile)
	cfg.Projection = []int{0}
	s := openSource(t, cfg, io.Discard)
	if got := readRows(t, s, -1); !reflect.DeepEqual(got, []string{"1"}) {
		t.Errorf("over TLS: %v", got)
	}
	s.Close()

	// A broker certificate from an unknown CA is final.
	_, otherCA := tlsFiles(t, "")
	s, err := newSource(sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json",
		"properties.security.protocol", "SSL", "properties.ssl.truststore.location", otherCA), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Open(bg(t)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v", err)
	}
}

// With 'ssl.endpoint.identification.algorithm' = ” the CA is checked but
// not the host name.
func TestTLSWithoutHostNameCheck(t *testing.T) {
	srvCfg, caFile := tlsFiles(t, "kafka.example")
	_, addr := cluster(t, kfake.SeedTopics(1, "bids"), kfake.TLS(srvCfg))
	mem := checkedMem(t)
	base := []string{"topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset",
		"properties.security.protocol", "SSL", "properties.ssl.truststore.location", caFile}
	s, err := newSource(sourceConfig(mem, bidSchema, addr, base...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := s.Open(ctx); err == nil || !strings.Contains(err.Error(), "x509") {
		t.Errorf("host name mismatch: %v", err)
	}
	s.Close()
	s = openSource(t, sourceConfig(mem, bidSchema, addr, append(base, "properties.ssl.endpoint.identification.algorithm", "")...), io.Discard)
	if got := readRows(t, s, -1); len(got) != 0 {
		t.Errorf("rows %v", got)
	}
}
