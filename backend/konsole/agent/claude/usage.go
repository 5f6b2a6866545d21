package claude

// APIUsage is the Messages API's token count, as the CLI reports it.
type APIUsage struct {
	InputTokens         int64 `json:"input_tokens"`
	OutputTokens        int64 `json:"output_tokens"`
	CacheReadTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationTokens int64 `json:"cache_creation_input_tokens"`
}

// ModelUsage is one model's entry of a result's modelUsage.
type ModelUsage struct {
	InputTokens         int64   `json:"inputTokens"`
	OutputTokens        int64   `json:"outputTokens"`
	CacheReadTokens     int64   `json:"cacheReadInputTokens"`
	CacheCreationTokens int64   `json:"cacheCreationInputTokens"`
	CostUSD             float64 `json:"costUSD"`
	ContextWindow       int64   `json:"contextWindow"`
}

// TurnUsage returns the tokens of the turn a result ends: the per-model
// counts since the previous result when the CLI gives them, else its
// usage; and the largest context window among the models it used.
func (r *Result) TurnUsage() (u APIUsage, contextWindow int64) {
	for _, m := range r.ModelUsage {
		contextWindow = max(contextWindow, m.ContextWindow)
	}
	if len(r.SinceLast) > 0 {
		for _, m := range r.SinceLast {
			u.InputTokens += m.InputTokens
			u.OutputTokens += m.OutputTokens
			u.CacheReadTokens += m.CacheReadTokens
			u.CacheCreationTokens += m.CacheCreationTokens
			contextWindow = max(contextWindow, m.ContextWindow)
		}
		return u, contextWindow
	}
	if r.Usage != nil {
		u = *r.Usage
	}
	return u, contextWindow
}
