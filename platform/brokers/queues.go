package brokers

// Queues are the URLs of pixmill's topics and subscriptions on one broker,
// as the provisioning functions return them; they are the values of
// pixmill up's --requests-topic, --requests-subscription … flags, and what
// up writes to its endpoints file.
type Queues struct {
	RequestsTopic         string `json:"requests_topic"`
	RequestsSubscription  string `json:"requests_subscription"`
	ResponsesTopic        string `json:"responses_topic"`
	ResponsesSubscription string `json:"responses_subscription"`
	// The dead-letter topic is optional: without it a request that cannot
	// succeed is logged and dropped after its owner is told.
	DeadletterTopic        string `json:"deadletter_topic,omitempty"`
	DeadletterSubscription string `json:"deadletter_subscription,omitempty"`
}
