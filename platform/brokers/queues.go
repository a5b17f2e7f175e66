package brokers

// Queues are the URLs of pixmill's topics and subscriptions on one broker,
// as the provisioning functions return them; they are the values of
// pixmill up's --requests-topic, --requests-subscription … flags.
type Queues struct {
	RequestsTopic          string
	RequestsSubscription   string
	ResponsesTopic         string
	ResponsesSubscription  string
	DeadletterTopic        string
	DeadletterSubscription string
}
