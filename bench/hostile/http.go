package main

import (
	"net/http"
	"time"
)

func httpClientWithTimeout() http.Client { return http.Client{Timeout: 2 * time.Second} }
