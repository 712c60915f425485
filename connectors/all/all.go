// Package all registers every connector: import it for its side effect.
//
//	import _ "github.com/weirsql/weir/connectors/all"
package all

import (
	// Each registers its connector in init.
	_ "github.com/weirsql/weir/connectors/blackhole"
	_ "github.com/weirsql/weir/connectors/file"
	_ "github.com/weirsql/weir/connectors/kafka"
	_ "github.com/weirsql/weir/connectors/nexmark"
	_ "github.com/weirsql/weir/connectors/stdout"
)
