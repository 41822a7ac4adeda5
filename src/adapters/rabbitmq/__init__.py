"""RabbitMQ adapters (aio-pika): the topology, the outbox relay with publisher confirms, the event
consumers with inbox deduplication, and the dead-letter queue's listing and replay."""
