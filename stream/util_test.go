package stream_test

import (
	"fmt"
	"strconv"
)

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func fmtInts(v []int64) string {
	if len(v) == 0 {
		return "[]"
	}
	return fmt.Sprint(v)
}
