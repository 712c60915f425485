package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/weirsql/weir/connectors"
)

// clientConfig is what the 'properties.*' options say about the client.
type clientConfig struct {
	seeds    []string
	group    string
	clientID string

	readCommitted   bool
	autoOffsetReset string // earliest, latest or none
	autoCommit      bool
	commitInterval  time.Duration
	maxPollRecords  int

	txnTimeout      time.Duration
	deliveryTimeout time.Duration

	common    []kgo.Opt // connection, security, timeouts
	consumer  []kgo.Opt
	producer  []kgo.Opt
	groupOpts []kgo.Opt // group membership ('scan.partition.assignment' = 'group')
	// rebalanceTimeout is 'properties.max.poll.interval.ms' (0: unset).
	rebalanceTimeout time.Duration

	// Collected, then turned into options by finish.
	protocol     string
	mechanism    string
	jaas         string
	user, pass   string
	trustFile    string
	trustPEM     string
	keystoreFile string
	noHostCheck  bool
}

// clientProp is one supported Kafka client property ('properties.KEY').
type clientProp struct {
	key    string
	typ    connectors.OptionType
	values []string
	def    string
	doc    string
	apply  func(c *clientConfig, v string) error
}

func msOpt(key string, set func(c *clientConfig, d time.Duration)) func(c *clientConfig, v string) error {
	return func(c *clientConfig, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badOption("properties."+key, v, "is not a number of milliseconds")
		}
		set(c, time.Duration(n)*time.Millisecond)
		return nil
	}
}

func intOpt(key string, min int64, set func(c *clientConfig, n int64)) func(c *clientConfig, v string) error {
	return func(c *clientConfig, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min || n > 1<<31-1 {
			return badOption("properties."+key, v, fmt.Sprintf("is not an integer from %d to %d", min, 1<<31-1))
		}
		set(c, n)
		return nil
	}
}

// clientProps are the Kafka client properties Weir maps onto franz-go
// options. Any other 'properties.*' key is an error that lists these.
var clientProps = []clientProp{
	{key: "bootstrap.servers", typ: connectors.String,
		doc: "Comma-separated host:port of one or more brokers to start from.",
		apply: func(c *clientConfig, v string) error {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					c.seeds = append(c.seeds, s)
				}
			}
			if len(c.seeds) == 0 {
				return badOption("properties.bootstrap.servers", v, "names no broker")
			}
			return nil
		}},
	{key: "group.id", typ: connectors.String,
		doc: "A source's consumer group: its read position is committed there (for monitoring tools and " +
			"'scan.startup.mode' = 'group-offsets'). Weir joins the group only with 'scan.partition.assignment' = 'group'; " +
			"otherwise it reads every partition itself.",
		apply: func(c *clientConfig, v string) error { c.group = v; return nil }},
	{key: "client.id", typ: connectors.String, doc: "The client id the brokers see (default 'weir').",
		apply: func(c *clientConfig, v string) error { c.clientID = v; return nil }},
	{key: "security.protocol", typ: connectors.Enum, values: []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}, def: "PLAINTEXT",
		doc:   "How to talk to the brokers: in plain text or over TLS ('SSL'), with or without SASL authentication.",
		apply: func(c *clientConfig, v string) error { c.protocol = strings.ToUpper(v); return nil }},
	{key: "sasl.mechanism", typ: connectors.Enum, values: []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, def: "PLAIN",
		doc:   "The SASL mechanism with 'security.protocol' = 'SASL_PLAINTEXT' or 'SASL_SSL'.",
		apply: func(c *clientConfig, v string) error { c.mechanism = strings.ToUpper(v); return nil }},
	{key: "sasl.jaas.config", typ: connectors.String,
		doc: "Java's form of the SASL credentials: '... required username=\"alice\" password=\"secret\";' " +
			"(only username and password are read).",
		apply: func(c *clientConfig, v string) error { c.jaas = v; return nil }},
	{key: "sasl.username", typ: connectors.String, doc: "The SASL user (librdkafka's name; instead of 'sasl.jaas.config').",
		apply: func(c *clientConfig, v string) error { c.user = v; return nil }},
	{key: "sasl.password", typ: connectors.String, doc: "The SASL password (librdkafka's name; instead of 'sasl.jaas.config').",
		apply: func(c *clientConfig, v string) error { c.pass = v; return nil }},
	{key: "ssl.truststore.location", typ: connectors.String,
		doc:   "A PEM file of the CA certificates to trust (Java keystores are not read); default: the system's.",
		apply: func(c *clientConfig, v string) error { c.trustFile = v; return nil }},
	{key: "ssl.truststore.certificates", typ: connectors.String, doc: "The CA certificates to trust, as PEM text.",
		apply: func(c *clientConfig, v string) error { c.trustPEM = v; return nil }},
	{key: "ssl.truststore.type", typ: connectors.Enum, values: []string{"PEM"}, def: "PEM",
		doc: "Only PEM is supported.", apply: func(c *clientConfig, v string) error { return nil }},
	{key: "ssl.keystore.location", typ: connectors.String,
		doc:   "A PEM file holding the client's certificate chain and its unencrypted private key, for mutual TLS.",
		apply: func(c *clientConfig, v string) error { c.keystoreFile = v; return nil }},
	{key: "ssl.keystore.type", typ: connectors.Enum, values: []string{"PEM"}, def: "PEM",
		doc: "Only PEM is supported.", apply: func(c *clientConfig, v string) error { return nil }},
	{key: "ssl.endpoint.identification.algorithm", typ: connectors.String, def: "https",
		doc: "'https' checks that the broker's certificate names its host; '' checks only that a trusted CA signed it.",
		apply: func(c *clientConfig, v string) error {
			switch strings.ToLower(v) {
			case "https":
			case "":
				c.noHostCheck = true
			default:
				return badOption("properties.ssl.endpoint.identification.algorithm", v, "is not 'https' or ''")
			}
			return nil
		}},
	{key: "request.timeout.ms", typ: connectors.Int, doc: "How long a request may take beyond its own timeout (franz-go's request timeout overhead).",
		apply: msOpt("request.timeout.ms", func(c *clientConfig, d time.Duration) { c.common = append(c.common, kgo.RequestTimeoutOverhead(d)) })},
	{key: "socket.connection.setup.timeout.ms", typ: connectors.Int, doc: "How long connecting to a broker may take.",
		apply: msOpt("socket.connection.setup.timeout.ms", func(c *clientConfig, d time.Duration) { c.common = append(c.common, kgo.DialTimeout(d)) })},
	{key: "connections.max.idle.ms", typ: connectors.Int, doc: "Close connections idle this long.",
		apply: msOpt("connections.max.idle.ms", func(c *clientConfig, d time.Duration) { c.common = append(c.common, kgo.ConnIdleTimeout(d)) })},
	{key: "metadata.max.age.ms", typ: connectors.Int, doc: "Refresh cluster metadata at least this often.",
		apply: msOpt("metadata.max.age.ms", func(c *clientConfig, d time.Duration) { c.common = append(c.common, kgo.MetadataMaxAge(d)) })},
	{key: "retry.backoff.ms", typ: connectors.Int, doc: "The wait before retrying a failed request.",
		apply: msOpt("retry.backoff.ms", func(c *clientConfig, d time.Duration) {
			c.common = append(c.common, kgo.RetryBackoffFn(func(int) time.Duration { return d }))
		})},
	{key: "isolation.level", typ: connectors.Enum, values: []string{"read_committed", "read_uncommitted"}, def: "read_committed",
		doc: "'read_committed' reads only records of committed transactions (Kafka's own default is read_uncommitted).",
		apply: func(c *clientConfig, v string) error {
			c.readCommitted = strings.EqualFold(v, "read_committed")
			return nil
		}},
	{key: "auto.offset.reset", typ: connectors.Enum, values: []string{"earliest", "latest", "none"}, def: "none",
		doc:   "With 'scan.startup.mode' = 'group-offsets': where a partition without a committed offset starts; 'none' makes that an error.",
		apply: func(c *clientConfig, v string) error { c.autoOffsetReset = strings.ToLower(v); return nil }},
	{key: "enable.auto.commit", typ: connectors.Bool, def: "true",
		doc: "With 'properties.group.id': also commit the read position every 'auto.commit.interval.ms', not only at checkpoints and at the end. " +
			"Ignored with 'scan.partition.assignment' = 'group', which commits only the positions of committed checkpoints.",
		apply: func(c *clientConfig, v string) error { c.autoCommit, _ = strconv.ParseBool(v); return nil }},
	{key: "auto.commit.interval.ms", typ: connectors.Int, def: "5000", doc: "How often the read position is committed to the group.",
		apply: msOpt("auto.commit.interval.ms", func(c *clientConfig, d time.Duration) { c.commitInterval = d })},
	{key: "session.timeout.ms", typ: connectors.Int, def: "45000",
		doc: "With 'scan.partition.assignment' = 'group': how long the group waits for a silent member before it " +
			"moves the member's partitions to the others.",
		apply: msOpt("session.timeout.ms", func(c *clientConfig, d time.Duration) { c.groupOpts = append(c.groupOpts, kgo.SessionTimeout(d)) })},
	{key: "heartbeat.interval.ms", typ: connectors.Int, def: "3000",
		doc: "With 'scan.partition.assignment' = 'group': how often a member tells the group it is alive, and so " +
			"how soon it learns of a rebalance.",
		apply: msOpt("heartbeat.interval.ms", func(c *clientConfig, d time.Duration) { c.groupOpts = append(c.groupOpts, kgo.HeartbeatInterval(d)) })},
	{key: "max.poll.interval.ms", typ: connectors.Int, def: "60000",
		doc: "With 'scan.partition.assignment' = 'group': how long a member may take to hand its partitions over in a " +
			"rebalance (the group's rebalance timeout), which includes waiting for a checkpoint.",
		apply: msOpt("max.poll.interval.ms", func(c *clientConfig, d time.Duration) {
			c.rebalanceTimeout = d
			c.groupOpts = append(c.groupOpts, kgo.RebalanceTimeout(d))
		})},
	{key: "fetch.min.bytes", typ: connectors.Int, doc: "The least data a fetch waits for.",
		apply: intOpt("fetch.min.bytes", 1, func(c *clientConfig, n int64) { c.consumer = append(c.consumer, kgo.FetchMinBytes(int32(n))) })},
	{key: "fetch.max.bytes", typ: connectors.Int, doc: "The most data one fetch returns.",
		apply: intOpt("fetch.max.bytes", 1, func(c *clientConfig, n int64) { c.consumer = append(c.consumer, kgo.FetchMaxBytes(int32(n))) })},
	{key: "fetch.max.wait.ms", typ: connectors.Int, doc: "How long a fetch waits for 'fetch.min.bytes'.",
		apply: msOpt("fetch.max.wait.ms", func(c *clientConfig, d time.Duration) { c.consumer = append(c.consumer, kgo.FetchMaxWait(d)) })},
	{key: "max.partition.fetch.bytes", typ: connectors.Int, doc: "The most data one fetch returns per partition.",
		apply: intOpt("max.partition.fetch.bytes", 1, func(c *clientConfig, n int64) {
			c.consumer = append(c.consumer, kgo.FetchMaxPartitionBytes(int32(n)))
		})},
	{key: "max.poll.records", typ: connectors.Int, def: "10000", doc: "The most records taken from the client's buffer at once.",
		apply: intOpt("max.poll.records", 1, func(c *clientConfig, n int64) { c.maxPollRecords = int(n) })},
	{key: "acks", typ: connectors.Enum, values: []string{"all", "-1", "1", "0"}, def: "all",
		doc: "How many replicas must have a sink's record: 'all' (needed for exactly-once and idempotence), '1' or '0'.",
		apply: func(c *clientConfig, v string) error {
			switch v {
			case "1":
				c.producer = append(c.producer, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
			case "0":
				c.producer = append(c.producer, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
			}
			return nil
		}},
	{key: "linger.ms", typ: connectors.Int, doc: "How long a sink waits to fill a batch.",
		apply: msOpt("linger.ms", func(c *clientConfig, d time.Duration) { c.producer = append(c.producer, kgo.ProducerLinger(d)) })},
	{key: "batch.size", typ: connectors.Int, doc: "The largest batch of records a sink sends to a partition, in bytes.",
		apply: intOpt("batch.size", 1, func(c *clientConfig, n int64) { c.producer = append(c.producer, kgo.ProducerBatchMaxBytes(int32(n))) })},
	{key: "buffer.memory", typ: connectors.Int, doc: "The most bytes a sink buffers before a write waits.",
		apply: intOpt("buffer.memory", 1, func(c *clientConfig, n int64) { c.producer = append(c.producer, kgo.MaxBufferedBytes(int(n))) })},
	{key: "compression.type", typ: connectors.Enum, values: []string{"none", "gzip", "snappy", "lz4", "zstd"}, def: "none",
		doc: "How a sink compresses batches.",
		apply: func(c *clientConfig, v string) error {
			var codec kgo.CompressionCodec
			switch strings.ToLower(v) {
			case "none":
				codec = kgo.NoCompression()
			case "gzip":
				codec = kgo.GzipCompression()
			case "snappy":
				codec = kgo.SnappyCompression()
			case "lz4":
				codec = kgo.Lz4Compression()
			case "zstd":
				codec = kgo.ZstdCompression()
			}
			c.producer = append(c.producer, kgo.ProducerBatchCompression(codec))
			return nil
		}},
	{key: "delivery.timeout.ms", typ: connectors.Int, def: "120000",
		doc:   "How long a sink keeps retrying a record (a broker that stays away longer fails the query).",
		apply: msOpt("delivery.timeout.ms", func(c *clientConfig, d time.Duration) { c.deliveryTimeout = d })},
	{key: "enable.idempotence", typ: connectors.Bool, def: "true",
		doc: "Whether an at-least-once sink writes idempotently (no duplicates from its own retries).",
		apply: func(c *clientConfig, v string) error {
			if b, _ := strconv.ParseBool(v); !b {
				c.producer = append(c.producer, kgo.DisableIdempotentWrite())
			}
			return nil
		}},
	{key: "transaction.timeout.ms", typ: connectors.Int, def: "900000",
		doc: "How long a transaction of an exactly-once sink may stay open before the broker aborts it; it bounds how long " +
			"a crashed query may stay down and still commit its last checkpoint's output. At most the broker's " +
			"transaction.max.timeout.ms (15 minutes by default).",
		apply: msOpt("transaction.timeout.ms", func(c *clientConfig, d time.Duration) { c.txnTimeout = d })},
}

// parseClientProps reads every 'properties.*' option.
func parseClientProps(o connectors.Options) (clientConfig, error) {
	c := clientConfig{
		readCommitted:   true,
		autoOffsetReset: "none",
		autoCommit:      true,
		commitInterval:  5 * time.Second,
		maxPollRecords:  10000,
		txnTimeout:      15 * time.Minute,
		deliveryTimeout: 2 * time.Minute,
		protocol:        "PLAINTEXT",
		mechanism:       "PLAIN",
	}
	byKey := map[string]*clientProp{}
	for i := range clientProps {
		byKey[clientProps[i].key] = &clientProps[i]
	}
	for _, k := range sortedKeys(o) {
		name, ok := strings.CutPrefix(k, "properties.")
		if !ok {
			continue
		}
		p := byKey[name]
		if p == nil {
			known := make([]string, len(clientProps))
			for i, p := range clientProps {
				known[i] = p.key
			}
			return c, fmt.Errorf("%w '%s': Weir's Kafka client supports these properties: %s",
				connectors.ErrUnknownOption, k, strings.Join(known, ", "))
		}
		if err := p.apply(&c, o[k]); err != nil {
			return c, err
		}
	}
	if len(c.seeds) == 0 {
		return c, fmt.Errorf("%w 'properties.bootstrap.servers': the brokers to connect to (host:port)", connectors.ErrMissingOption)
	}
	return c, c.finish()
}

var jaasField = regexp.MustCompile(`(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"`)

// finish turns the collected security settings into client options.
func (c *clientConfig) finish() error {
	id := c.clientID
	if id == "" {
		id = "weir"
	}
	c.common = append([]kgo.Opt{kgo.SeedBrokers(c.seeds...), kgo.ClientID(id)}, c.common...)
	useTLS := c.protocol == "SSL" || c.protocol == "SASL_SSL"
	useSASL := c.protocol == "SASL_PLAINTEXT" || c.protocol == "SASL_SSL"
	if useSASL {
		user, pass := c.user, c.pass
		if c.jaas != "" {
			for _, m := range jaasField.FindAllStringSubmatch(c.jaas, -1) {
				v := strings.ReplaceAll(strings.ReplaceAll(m[2], `\"`, `"`), `\\`, `\`)
				switch m[1] {
				case "username":
					user = v
				case "password":
					pass = v
				}
			}
		}
		if user == "" {
			return fmt.Errorf("%w: 'properties.security.protocol' = '%s' needs credentials: set 'properties.sasl.jaas.config' "+
				"(... username=\"u\" password=\"p\";) or 'properties.sasl.username' and 'properties.sasl.password'",
				connectors.ErrMissingOption, c.protocol)
		}
		switch c.mechanism {
		case "PLAIN":
			c.common = append(c.common, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			c.common = append(c.common, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			c.common = append(c.common, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		}
	} else if c.jaas != "" || c.user != "" {
		return fmt.Errorf("%w: SASL credentials are set but 'properties.security.protocol' is '%s'; use SASL_PLAINTEXT or SASL_SSL",
			connectors.ErrBadOption, c.protocol)
	}
	if !useTLS {
		if c.trustFile != "" || c.trustPEM != "" || c.keystoreFile != "" {
			return fmt.Errorf("%w: TLS files are set but 'properties.security.protocol' is '%s'; use SSL or SASL_SSL",
				connectors.ErrBadOption, c.protocol)
		}
		return nil
	}
	cfg, err := c.tlsConfig()
	if err != nil {
		return err
	}
	c.common = append(c.common, kgo.DialTLSConfig(cfg))
	return nil
}

func (c *clientConfig) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	pemText := []byte(c.trustPEM)
	if c.trustFile != "" {
		b, err := os.ReadFile(c.trustFile)
		if err != nil {
			return nil, fmt.Errorf("'properties.ssl.truststore.location': %w", err)
		}
		pemText = append(pemText, '\n')
		pemText = append(pemText, b...)
	}
	if len(strings.TrimSpace(string(pemText))) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemText) {
			return nil, fmt.Errorf("%w: the trust store holds no PEM certificate", connectors.ErrBadOption)
		}
		cfg.RootCAs = pool
	}
	if c.keystoreFile != "" {
		b, err := os.ReadFile(c.keystoreFile)
		if err != nil {
			return nil, fmt.Errorf("'properties.ssl.keystore.location': %w", err)
		}
		var certPEM, keyPEM []byte
		for rest := b; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if strings.Contains(blk.Type, "PRIVATE KEY") {
				keyPEM = append(keyPEM, pem.EncodeToMemory(blk)...)
			} else {
				certPEM = append(certPEM, pem.EncodeToMemory(blk)...)
			}
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("'properties.ssl.keystore.location' %s: %w (it must hold the certificate chain and an unencrypted private key in PEM)", c.keystoreFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if c.noHostCheck {
		// Java's ssl.endpoint.identification.algorithm = '': check the
		// chain against the trusted CAs but not the host name.
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("the broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}
