// Command minimal is the smallest useful Lambda of this shape: API Gateway HTTP API events,
// the default AWS configuration, a DynamoDB client and one GetItem. cmd/bench builds it
// with the Makefile's flags so that the functions' sizes have a floor to be compared with.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	table := os.Getenv("TABLE_NAME")
	lambda.Start(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "CUSTOMER#" + ev.PathParameters["customerId"]},
				"SK": &types.AttributeValueMemberS{Value: "#PROFILE"},
			},
		})
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: 500}, nil
		}
		if out.Item == nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: 404}, nil
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	})
}
