package httpkit

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LeveledLogger adapts zap to retryablehttp.LeveledLogger. retryablehttp
// logs the method, the URL (its password redacted), errors and retry waits,
// never headers. The adapter also drops any field whose name suggests a
// credential, redacts credential-looking query parameters in every string,
// and writes keys in snake_case. retryablehttp's "request failed" is an
// attempt that may still be retried, so its Error level becomes Warn; the
// final outcome is the error Do returns.
type LeveledLogger struct{ l *zap.Logger }

var _ retryablehttp.LeveledLogger = (*LeveledLogger)(nil)

// NewLeveledLogger wraps l (nil: a no-op logger).
func NewLeveledLogger(l *zap.Logger) *LeveledLogger {
	if l == nil {
		l = zap.NewNop()
	}
	return &LeveledLogger{l: l.WithOptions(zap.AddCallerSkip(1))}
}

// Error logs at warn level (see LeveledLogger).
func (z *LeveledLogger) Error(msg string, kv ...any) { z.log(zap.WarnLevel, msg, kv) }

// Warn logs at warn level.
func (z *LeveledLogger) Warn(msg string, kv ...any) { z.log(zap.WarnLevel, msg, kv) }

// Info logs at info level.
func (z *LeveledLogger) Info(msg string, kv ...any) { z.log(zap.InfoLevel, msg, kv) }

// Debug logs at debug level.
func (z *LeveledLogger) Debug(msg string, kv ...any) { z.log(zap.DebugLevel, msg, kv) }

func (z *LeveledLogger) log(level zapcore.Level, msg string, kv []any) {
	ce := z.l.Check(level, RedactText(msg))
	if ce == nil {
		return
	}
	ce.Write(kvFields(kv)...)
}

func kvFields(kv []any) []zap.Field {
	fields := make([]zap.Field, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		if i+1 >= len(kv) {
			fields = append(fields, zap.String("extra", RedactText(key)))
			break
		}
		if sensitiveName(key) {
			continue
		}
		key = snakeCase(key)
		switch v := kv[i+1].(type) {
		case string:
			fields = append(fields, zap.String(key, RedactText(v)))
		case error:
			fields = append(fields, zap.String(key, RedactText(v.Error())))
		case fmt.Stringer:
			fields = append(fields, zap.String(key, RedactText(v.String())))
		default:
			fields = append(fields, zap.Any(key, v))
		}
	}
	return fields
}

var sensitiveWords = []string{"authorization", "token", "secret", "password", "passwd", "cookie", "apikey", "api_key", "credential"}

// sensitiveName reports whether a field or parameter name suggests a
// credential.
func sensitiveName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// sensitiveQuery matches a query parameter whose name suggests a credential.
var sensitiveQuery = regexp.MustCompile(`(?i)([?&;][^=&;#\s"]*(?:token|secret|password|passwd|api_?key|signature|sig|assertion)[^=&;#\s"]*=)[^&;#\s"]*`)

// RedactText replaces the values of credential-looking query parameters
// (access_token=…, client_secret=…, api_key=…) in s with REDACTED.
func RedactText(s string) string {
	if !strings.ContainsAny(s, "?&;") {
		return s
	}
	return sensitiveQuery.ReplaceAllString(s, "${1}REDACTED")
}

func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case unicode.IsUpper(r):
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		case r == '-' || r == ' ' || r == '.':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
